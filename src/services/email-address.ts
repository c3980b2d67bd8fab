import { z } from 'zod';

/** One mailbox address (RFC 5321 length limit); zod's pattern admits no spaces, commas or line breaks. */
export const emailSchema = z.email({ error: 'Enter a valid email address.' }).max(254, 'Enter a valid email address.');

/**
 * The address, lower-cased, when `value` is exactly one valid address; otherwise undefined.
 * Upstream claims pass here before they become an account's email: `"a@x.com\r\nbcc: …"`
 * would otherwise reach a mail header.
 */
export function singleEmailAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || !emailSchema.safeParse(value).success || /[\s,;<>]/.test(value)) return undefined;
  return value.toLowerCase();
}
