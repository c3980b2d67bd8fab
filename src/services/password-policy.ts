import { dictionary } from '@zxcvbn-ts/language-common';
import type { Message } from '../lib/i18n.ts';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

// zxcvbn-ts's list of common passwords from public breach corpora (about 49,000 entries).
const COMMON_PASSWORDS = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters, a generous maximum, and not a commonly
 * used or breached password. No composition rules. Returns why a password is refused, or
 * undefined when it is acceptable.
 */
export function passwordProblem(password: string, context: { email?: string } = {}): string | undefined {
  const problem = passwordProblemMessage(password, context);
  return problem && typeof problem === 'object' ? ENGLISH[problem.key]!.replace(/\{(\w+)\}/g, (_, name: string) => String(problem.params?.[name])) : undefined;
}

/** English for the CLI; pages translate the message key (locales/*.json, "validation.*"). */
const ENGLISH: Record<string, string> = {
  'validation.passwordTooShort': 'Use at least {count} characters.',
  'validation.tooLong': 'Use at most {count} characters.',
  'validation.passwordCommon': 'This password is too common: it appears in lists of breached passwords. Choose another.',
  'validation.passwordIsEmail': 'Do not use your email address as your password.',
};

/** The same check, as a message key for the page that shows it. */
export function passwordProblemMessage(password: string, context: { email?: string } = {}): Message | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return { key: 'validation.passwordTooShort', params: { count: PASSWORD_MIN_LENGTH } };
  if (length > PASSWORD_MAX_LENGTH) return { key: 'validation.tooLong', params: { count: PASSWORD_MAX_LENGTH } };
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return { key: 'validation.passwordCommon' };
  if (context.email && lower === context.email.trim().toLowerCase()) return { key: 'validation.passwordIsEmail' };
  return undefined;
}
