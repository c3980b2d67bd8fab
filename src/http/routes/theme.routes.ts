import Router from '@koa/router';
import type { KeywardState } from '../state.ts';

/**
 * The operator's accent colour as a stylesheet: the CSP allows no inline styles, so the
 * colour cannot go into a style attribute. ACCENT_COLOR is validated as #rrggbb by config.
 */
export function themeRoutes(ui: { accentColor: string }): Router<KeywardState> {
  const router = new Router<KeywardState>();
  const css = `:root { --accent: ${ui.accentColor}; }\n`;
  router.get('/assets/theme.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = css;
  });
  return router;
}
