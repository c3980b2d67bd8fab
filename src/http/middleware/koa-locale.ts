import type { Middleware } from 'koa';
import { isLocale, negotiateLocale, type Locale } from '../../lib/i18n.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import type { UiSession } from '../ui-session.ts';

// koa-session extends app.context, so ctx.session reads the cookie lazily wherever it runs.
const sessionOf = (ctx: KeywardContext) => (ctx as unknown as { session?: UiSession | null }).session ?? undefined;

/**
 * The language of this request's page (and of a mail it sends): an explicit choice from the
 * language switcher (`?lang=`, remembered in the UI session), else Accept-Language, else
 * DEFAULT_LOCALE. Interaction pages refine it with the request's ui_locales (`withUiLocales`).
 */
export function locale(defaultLocale: Locale, uiSession: Middleware): Middleware<KeywardState> {
  return async (ctx, next) => {
    const asked = ctx.query.lang;
    const chosen = isLocale(asked) ? asked : sessionOf(ctx)?.locale;
    ctx.state.locale = negotiateLocale({ chosen, acceptLanguage: ctx.get('Accept-Language'), defaultLocale });
    ctx.state.localeFor = (uiLocales) => negotiateLocale({ chosen, uiLocales, acceptLanguage: ctx.get('Accept-Language'), defaultLocale });
    if (!isLocale(asked)) return next();
    // Remember the switcher's choice for the rest of the UI session (works without JavaScript).
    return uiSession(ctx, async () => {
      const session = sessionOf(ctx);
      if (session) session.locale = asked;
      await next();
    });
  };
}

/** On the pages of an interaction, the authorization request's ui_locales (OIDC Core §3.1.2.1) comes before Accept-Language. */
export function withUiLocales(ctx: KeywardContext, uiLocales: string | undefined): void {
  if (uiLocales) ctx.state.locale = ctx.state.localeFor(uiLocales);
}
