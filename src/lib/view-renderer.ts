import { join } from 'node:path';
import ejs from 'ejs';
import { LOCALES, translator, type Catalogs, type Locale, type Message } from './i18n.ts';

/** The operator's branding (config `ui`): every URL is https:// or a /path (config/schema.ts). */
export interface Branding {
  productName: string;
  logoUrl?: string | undefined;
  faviconUrl?: string | undefined;
  /** Footer links, each shown only when set. */
  privacyUrl?: string | undefined;
  termsUrl?: string | undefined;
  supportUrl?: string | undefined;
}

/** What every page's layout needs besides the page's own view-model. */
export interface PageContext {
  /** A catalog key (locales/*.json), translated with the page. */
  title: Message;
  /** The page's language (default: DEFAULT_LOCALE) and its path, for the language switcher. */
  locale?: Locale | undefined;
  path?: string | undefined;
  requestId?: string | undefined;
  /** Error pages show the request id (people quote it to support); other pages keep it out of sight. */
  showRequestId?: boolean;
  /** Scripts the page enhances itself with, served from /assets (the CSP allows no inline script). */
  scripts?: readonly string[];
  /** A client with its own accent colour: its stylesheet (/assets/client-theme/<id>.css) follows theme.css. */
  clientTheme?: string | undefined;
  /** The admin console's pages: its navigation bar (sections, who is signed in, signing out). */
  console?: ConsoleChrome | undefined;
}

export interface ConsoleChrome {
  nav: readonly { href: string; label: Message; current: boolean }[];
  signedInAs: string;
  csrfToken: string;
}

export type RenderPage = (view: string, page: PageContext, model?: object) => Promise<string>;

/** Every page with a password field gets its show-password button (a progressive enhancement). */
const PASSWORD_TOGGLE = 'password-toggle.js';

/**
 * Renders `views/<view>.ejs` inside `views/layout.ejs`. Templates escape with <%= %>;
 * they receive view-models only (DESIGN.md, Conventions 4).
 */
export function createViewRenderer(viewsDirectory: string, branding: Branding, cache: boolean, i18n: { catalogs: Catalogs; defaultLocale: Locale }): RenderPage {
  const links = [
    { label: 'footer.privacy', href: branding.privacyUrl },
    { label: 'footer.terms', href: branding.termsUrl },
    { label: 'footer.help', href: branding.supportUrl },
  ].filter((link) => link.href);
  return async (view, page, model = {}) => {
    const options = { cache, async: true, root: viewsDirectory };
    const locale = page.locale ?? i18n.defaultLocale;
    const t = translator(i18n.catalogs, locale);
    const translated = { ...page, title: t(page.title) };
    const body = await ejs.renderFile(join(viewsDirectory, `${view}.ejs`), { ...model, page: translated, branding, t, locale }, options);
    const scripts = body.includes('type="password"') ? [...(page.scripts ?? []), PASSWORD_TOGGLE] : page.scripts;
    const layoutPage = { ...translated, scripts };
    const footerLinks = links.map((link) => ({ ...link, label: t(link.label) }));
    // The switcher keeps the current path: a plain link, no JavaScript needed.
    const languages = LOCALES.map((code) => ({ code, name: translator(i18n.catalogs, code)('language.name'), href: `${page.path ?? ''}?lang=${code}`, current: code === locale }));
    return ejs.renderFile(join(viewsDirectory, 'layout.ejs'), { ...model, page: layoutPage, branding, footerLinks, body, t, locale, languages }, options);
  };
}
