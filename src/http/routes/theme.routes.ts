import Router from '@koa/router';
import type { KeywardState } from '../state.ts';

const COLOUR = /^#[0-9a-fA-F]{6}$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The accent colours as stylesheets: the CSP allows no inline styles, so a colour cannot go into
 * a style attribute. ACCENT_COLOR is validated as #rrggbb by config; a client's `accent_color`
 * by the clients file, and again here, since only a colour may ever reach the CSS.
 */
export function themeRoutes(deps: { ui: { accentColor: string }; clientAccent: (clientId: string) => Promise<string | undefined> }): Router<KeywardState> {
  const router = new Router<KeywardState>();
  const css = `:root { --accent: ${deps.ui.accentColor}; }\n`;
  router.get('/assets/theme.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = css;
  });
  // Linked from a client's sign-in and consent pages when it has an accent colour (views/layout.ejs).
  router.get('/assets/client-theme/:file', async (ctx) => {
    const clientId = ctx.params.file!.replace(/\.css$/, '');
    const accent = ctx.params.file!.endsWith('.css') && CLIENT_ID.test(clientId) ? await deps.clientAccent(clientId) : undefined;
    if (!accent || !COLOUR.test(accent)) return; // 404
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = `:root { --accent: ${accent}; }\n`;
  });
  return router;
}
