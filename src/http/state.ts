import type { ParameterizedContext } from 'koa';
import type { Locale } from '../lib/i18n.ts';
import type { Logger } from '../logger/logger.ts';

/** What Keyward's middleware puts on ctx.state for later middleware and routes. */
export interface KeywardState {
  requestId: string;
  log: Logger;
  /** The language of this request's page and mails (middleware/koa-locale.ts). */
  locale: Locale;
  /** The language once the authorization request's ui_locales is known. */
  localeFor: (uiLocales: string | undefined) => Locale;
}

export type KeywardContext = ParameterizedContext<KeywardState>;
