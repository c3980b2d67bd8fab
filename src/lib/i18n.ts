import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The languages Keyward ships (one catalog per language in locales/<code>.json). */
export const LOCALES = ['en', 'fr', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

export type MessageParams = Record<string, string | number>;
/** A message to translate at render time: a catalog key, or a key with its placeholders' values. */
export type Message = string | { key: string; params?: MessageParams };
export type Translate = (message: Message, params?: MessageParams) => string;
export type Catalogs = Readonly<Record<Locale, Readonly<Record<string, string>>>>;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Nested JSON objects become dotted keys ("login.title"). */
function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (typeof value === 'string') out[prefix] = value;
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  }
  return out;
}

/** Reads every catalog once, at start (no module-level state: the caller keeps the result). */
export function loadCatalogs(directory: string): Catalogs {
  const read = (locale: Locale) => Object.freeze(flatten(JSON.parse(readFileSync(join(directory, `${locale}.json`), 'utf8'))));
  return Object.freeze({ en: read('en'), fr: read('fr'), de: read('de') });
}

const interpolate = (text: string, params: MessageParams | undefined) =>
  params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text;

/**
 * `t(key, params)` in one language: a key missing there falls back to English, and a key
 * missing everywhere shows as itself. It never throws: a page renders even with a gap.
 */
export function translator(catalogs: Catalogs, locale: Locale): Translate {
  return (message, params) => {
    const key = typeof message === 'string' ? message : message?.key;
    if (typeof key !== 'string') return '';
    const values = typeof message === 'string' ? params : { ...message.params, ...params };
    return interpolate(catalogs[locale][key] ?? catalogs.en[key] ?? key, values);
  };
}

/** Language ranges with their weights, best first (RFC 9110 §12.5.4, §12.4.2). */
function ranges(header: string | undefined, weighted: boolean): string[] {
  if (!header) return [];
  return header
    .split(weighted ? ',' : /\s+/)
    .map((part, index) => {
      const [tag = '', ...rest] = part.trim().split(';');
      const q = rest.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((range) => range.tag && range.tag !== '*' && range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((range) => range.tag);
}

/** The first supported language in a list of tags, a regional tag matching its language (fr-CA → fr). */
function firstSupported(tags: string[]): Locale | undefined {
  for (const tag of tags) {
    const base = tag.split('-')[0];
    if (isLocale(tag)) return tag;
    if (isLocale(base)) return base;
  }
  return undefined;
}

/**
 * Which language a page or mail is in: the person's explicit choice (the language switcher),
 * then the authorization request's ui_locales (OIDC Core §3.1.2.1, space-separated, in order of
 * preference), then Accept-Language, then DEFAULT_LOCALE.
 */
export function negotiateLocale(input: { chosen?: string | undefined; uiLocales?: string | undefined; acceptLanguage?: string | undefined; defaultLocale: Locale }): Locale {
  return (
    firstSupported(input.chosen ? [input.chosen.toLowerCase()] : []) ??
    firstSupported(ranges(input.uiLocales, false)) ??
    firstSupported(ranges(input.acceptLanguage, true)) ??
    input.defaultLocale
  );
}
