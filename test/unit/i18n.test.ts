import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadCatalogs, LOCALES, negotiateLocale, translator } from '../../src/lib/i18n.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const catalogs = loadCatalogs(join(ROOT, 'locales'));
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

function filesUnder(directory: string, extension: RegExp): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path, extension) : extension.test(name) ? [path] : [];
  });
}

describe('translation catalogs', () => {
  it.each(LOCALES.filter((locale) => locale !== 'en'))('%s has exactly the keys of en, with the same placeholders', (locale) => {
    const english = catalogs.en;
    const other = catalogs[locale];
    expect(Object.keys(other).filter((key) => !(key in english))).toEqual([]);
    expect(Object.keys(english).filter((key) => !(key in other))).toEqual([]);
    for (const [key, text] of Object.entries(english)) {
      expect([key, placeholders(other[key]!)]).toEqual([key, placeholders(text)]);
      expect(other[key]!.trim()).not.toBe('');
    }
  });

  it('has every key used as t(\'…\') in views/ and src/', () => {
    const files = [...filesUnder(join(ROOT, 'views'), /\.ejs$/), ...filesUnder(join(ROOT, 'src'), /\.ts$/)];
    const used = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*['"`]([\w.-]+)['"`]/g)].map((match) => ({ file, key: match[1]! })));
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter(({ key }) => !(key in catalogs.en))).toEqual([]);
  });

  it('has every message key the routes, view-models and templates pass along as a string', () => {
    // Form errors, titles and notices are keys translated when the page renders ("errors.enterEmail").
    const namespaces = new Set(Object.keys(catalogs.en).map((key) => key.split('.')[0]));
    const files = [...filesUnder(join(ROOT, 'views'), /\.ejs$/), ...filesUnder(join(ROOT, 'src'), /\.ts$/)];
    const keys = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/['"]([a-zA-Z]+(?:\.[A-Za-z_]+)+)['"]/g)]
      .map((match) => match[1]!)
      .filter((key) => namespaces.has(key.split('.')[0]!) && !/\.(js|css|svg|ts|json|ejs)$/.test(key))
      .map((key) => ({ file, key })));
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.filter(({ key }) => !(key in catalogs.en))).toEqual([]);
  });
});

describe('translator', () => {
  it('fills placeholders, falls back to English, and never throws', () => {
    const t = translator({ ...catalogs, fr: { 'only.fr': 'Bonjour {name}' } }, 'fr');
    expect(t('only.fr', { name: 'Ada' })).toBe('Bonjour Ada');
    expect(t('login.title')).toBe('Sign in');
    expect(t('no.such.key')).toBe('no.such.key');
    expect(t({ key: 'errors.tooManyMany', params: { minutes: 3 } })).toBe('Too many attempts. Wait 3 minutes and try again.');
    expect(t(undefined as unknown as string)).toBe('');
  });
});

describe('negotiateLocale', () => {
  const defaultLocale = 'en' as const;
  it('prefers an explicit choice, then ui_locales, then Accept-Language, then the default', () => {
    expect(negotiateLocale({ chosen: 'de', uiLocales: 'fr', acceptLanguage: 'fr', defaultLocale })).toBe('de');
    expect(negotiateLocale({ uiLocales: 'ja fr-CA de', acceptLanguage: 'de', defaultLocale })).toBe('fr');
    expect(negotiateLocale({ uiLocales: 'ja', acceptLanguage: 'de-AT', defaultLocale })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'ja', defaultLocale: 'fr' })).toBe('fr');
    expect(negotiateLocale({ defaultLocale })).toBe('en');
  });

  it('honours q-values and language-region fallback', () => {
    expect(negotiateLocale({ acceptLanguage: 'en;q=0.5, de;q=0.9, fr-CA;q=0.95', defaultLocale })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'de;q=0, fr;q=0.1', defaultLocale })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: '*, de;q=0.5', defaultLocale })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'ja, en-GB;q=0.8, de;q=0.7', defaultLocale: 'fr' })).toBe('en');
  });
});
