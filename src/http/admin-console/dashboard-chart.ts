/**
 * The dashboard's bar chart of sign-ins and failures per hour, as geometry for an inline SVG
 * (views/admin/dashboard.ejs). Drawn on the server: the page needs no script, and the CSP allows
 * none inline; colours come from CSS classes, so dark mode applies to it too.
 */

export interface HourCounts {
  /** Start of the hour, epoch ms. */
  hour: number;
  sign_ins: number;
  failures: number;
}

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 40 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;

const round = (value: number) => Math.round(value * 10) / 10;
/** "14:00", in UTC like every time in the console. */
const hourLabel = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 4): an axis that reads at a glance. */
export function niceMaximum(value: number): number {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= value)!;
  return step * magnitude;
}

export function hourlyChart(hours: readonly HourCounts[]) {
  const max = niceMaximum(Math.max(0, ...hours.map((h) => Math.max(h.sign_ins, h.failures))));
  const slot = PLOT_WIDTH / Math.max(1, hours.length);
  const barWidth = round(Math.max(2, slot * 0.36));
  const y = (count: number) => MARGIN.top + PLOT_HEIGHT - (count / max) * PLOT_HEIGHT;
  const bar = (count: number, x: number) => ({ count, x: round(x), y: round(y(count)), width: barWidth, height: round((count / max) * PLOT_HEIGHT) });
  return {
    width: WIDTH,
    height: HEIGHT,
    plot: { left: MARGIN.left, right: WIDTH - MARGIN.right, top: MARGIN.top, bottom: MARGIN.top + PLOT_HEIGHT },
    ticks: [0, max / 2, max].map((value) => ({ value, y: round(y(value)) })),
    hours: hours.map((h, index) => {
      const left = MARGIN.left + index * slot + slot * 0.12;
      return {
        from: hourLabel(h.hour),
        to: hourLabel(h.hour + 3_600_000),
        signIns: bar(h.sign_ins, left),
        failures: bar(h.failures, left + barWidth + 1),
        // Every third hour is labelled below the axis (every sixth on a phone: `minor` ones hide); the table has them all.
        label: index % 3 === 0 ? { text: hourLabel(h.hour), x: round(MARGIN.left + index * slot + slot / 2), minor: index % 6 !== 0 } : undefined,
      };
    }),
    totals: { signIns: hours.reduce((sum, h) => sum + h.sign_ins, 0), failures: hours.reduce((sum, h) => sum + h.failures, 0) },
  };
}

export type HourlyChart = ReturnType<typeof hourlyChart>;
