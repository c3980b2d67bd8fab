import { join } from 'node:path';
import ejs from 'ejs';

export interface Branding {
  productName: string;
  logoUrl?: string | undefined;
}

/** What every page's layout needs besides the page's own view-model. */
export interface PageContext {
  title: string;
  requestId?: string | undefined;
  /** Scripts the page enhances itself with, served from /assets (the CSP allows no inline script). */
  scripts?: readonly string[];
}

export type RenderPage = (view: string, page: PageContext, model?: object) => Promise<string>;

/**
 * Renders `views/<view>.ejs` inside `views/layout.ejs`. Templates escape with <%= %>;
 * they receive view-models only (DESIGN.md, Conventions 4).
 */
export function createViewRenderer(viewsDirectory: string, branding: Branding, cache: boolean): RenderPage {
  return async (view, page, model = {}) => {
    const locals = { ...model, page, branding };
    const options = { cache, async: true, root: viewsDirectory };
    const body = await ejs.renderFile(join(viewsDirectory, `${view}.ejs`), locals, options);
    return ejs.renderFile(join(viewsDirectory, 'layout.ejs'), { ...locals, body }, options);
  };
}
