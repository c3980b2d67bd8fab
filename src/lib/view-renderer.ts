import { join } from 'node:path';
import ejs from 'ejs';

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
  title: string;
  requestId?: string | undefined;
  /** Error pages show the request id (people quote it to support); other pages keep it out of sight. */
  showRequestId?: boolean;
  /** Scripts the page enhances itself with, served from /assets (the CSP allows no inline script). */
  scripts?: readonly string[];
  /** A client with its own accent colour: its stylesheet (/assets/client-theme/<id>.css) follows theme.css. */
  clientTheme?: string | undefined;
}

export type RenderPage = (view: string, page: PageContext, model?: object) => Promise<string>;

/** Every page with a password field gets its show-password button (a progressive enhancement). */
const PASSWORD_TOGGLE = 'password-toggle.js';

/**
 * Renders `views/<view>.ejs` inside `views/layout.ejs`. Templates escape with <%= %>;
 * they receive view-models only (DESIGN.md, Conventions 4).
 */
export function createViewRenderer(viewsDirectory: string, branding: Branding, cache: boolean): RenderPage {
  const footerLinks = [
    { label: 'Privacy', href: branding.privacyUrl },
    { label: 'Terms', href: branding.termsUrl },
    { label: 'Help', href: branding.supportUrl },
  ].filter((link) => link.href);
  return async (view, page, model = {}) => {
    const options = { cache, async: true, root: viewsDirectory };
    const body = await ejs.renderFile(join(viewsDirectory, `${view}.ejs`), { ...model, page, branding }, options);
    const scripts = body.includes('type="password"') ? [...(page.scripts ?? []), PASSWORD_TOGGLE] : page.scripts;
    const layoutPage = { ...page, scripts };
    return ejs.renderFile(join(viewsDirectory, 'layout.ejs'), { ...model, page: layoutPage, branding, footerLinks, body }, options);
  };
}
