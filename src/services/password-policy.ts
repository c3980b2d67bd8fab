import { dictionary } from '@zxcvbn-ts/language-common';

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
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'This password is too common: it appears in lists of breached passwords. Choose another.';
  if (context.email && lower === context.email.trim().toLowerCase()) return 'Do not use your email address as your password.';
  return undefined;
}
