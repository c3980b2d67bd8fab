import { Secret, TOTP } from 'otpauth';

/** RFC 6238 defaults, which every authenticator app understands: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either side (RFC 6238 §5.2 recommends at most one step of network delay). */
const WINDOW = 1;
/** 160 bits: the key length RFC 4226 §4 recommends for HMAC-SHA-1. */
const SECRET_BYTES = 20;

const totpFor = (secret: string, label = '', issuer = '') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

/** A new shared secret, base32 as authenticator apps expect it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// URI an authenticator app scans (Key Uri Format, as Google Authenticator defines it). */
export function totpUri(secret: string, accountLabel: string, issuer: string): string {
  return totpFor(secret, accountLabel, issuer).toString();
}

/** The time step a moment falls in (RFC 6238 §4.2, T = floor((now - T0) / X)). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / PERIOD_SECONDS);
}

/** Only digits count; spaces an app shows inside a code ("123 456") are dropped. */
export function normaliseTotpCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(code) ? code : undefined;
}

/**
 * The time step whose code `input` is, within ±1 step of `nowMs`; undefined when it matches
 * none. The caller must still record the step as used (a code is accepted once, RFC 6238 §5.2).
 */
export function matchTotpStep(secret: string, input: string, nowMs: number): number | undefined {
  const code = normaliseTotpCode(input);
  if (!code) return undefined;
  // otpauth compares in constant time and answers the matching step's offset.
  const delta = totpFor(secret).validate({ token: code, timestamp: nowMs, window: WINDOW });
  return delta === null ? undefined : totpStep(nowMs) + delta;
}

/** The code for a moment (tests and the bench play the authenticator app with it). */
export function totpCodeAt(secret: string, nowMs: number): string {
  return totpFor(secret).generate({ timestamp: nowMs });
}
