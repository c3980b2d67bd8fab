/** A whole-number command-line option within bounds, or a one-line usage error (exit 2). */
export function intOption(name: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"\n`);
    process.exit(2);
  }
  return value;
}
