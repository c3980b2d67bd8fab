import { bodyParser } from '@koa/bodyparser';
import type { Message } from '../lib/i18n.ts';
import type { KeywardContext } from './state.ts';

/** Form posts only, small: these pages take an email, a name and passwords. */
export const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

/** The submitted field as a string (repeated fields and arrays are refused as absent). */
export function field(ctx: KeywardContext, name: string): string {
  const value = (ctx.request as { body?: Record<string, unknown> }).body?.[name];
  return typeof value === 'string' ? value : '';
}

/** What a form page shows again after a refused submission (GOV.UK error summary pattern). */
export interface FormErrors {
  /** Field name → message shown next to the field: catalog keys, translated when the page renders. */
  fields: Record<string, Message>;
  /** Messages for the summary at the top; each links to its field when it has one. */
  summary: { field?: string; message: Message }[];
}

export function formErrors(fields: Record<string, Message | undefined>, general?: Message): FormErrors {
  const present = Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, Message] => entry[1] !== undefined));
  return {
    fields: present,
    summary: [...(general ? [{ message: general }] : []), ...Object.entries(present).map(([name, message]) => ({ field: name, message }))],
  };
}

export const NO_ERRORS: FormErrors = { fields: {}, summary: [] };

/** 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3). */
export function tooManyRequests(ctx: KeywardContext, retryAfterSeconds: number): Message {
  ctx.status = 429;
  ctx.set('Retry-After', String(retryAfterSeconds));
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return { key: minutes === 1 ? 'errors.tooManyOne' : 'errors.tooManyMany', params: { minutes } };
}
