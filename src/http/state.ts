import type { ParameterizedContext } from 'koa';
import type { Logger } from '../logger/logger.ts';

/** What Keyward's middleware puts on ctx.state for later middleware and routes. */
export interface KeywardState {
  requestId: string;
  log: Logger;
}

export type KeywardContext = ParameterizedContext<KeywardState>;
