import { isKnownSecret } from './known-secrets.ts';

/** What production asks of a secret the operator generates (cookie secrets, tokens, client secrets, keys). */
export const MIN_GENERATED_SECRET_BITS = 128;
/**
 * What it asks of a secret an upstream provider issued: the operator cannot choose its length,
 * and e.g. GitHub issues 40 hex characters (160 bits) which the estimator, being cautious,
 * sometimes rates a little under 128.
 */
export const MIN_ISSUED_SECRET_BITS = 96;

export const GENERATE_HINT = 'generate a real one with `openssl rand -base64 32`';

/**
 * Words that mark a value a person typed as a stand-in. At least six letters each, so that a
 * random base64 value contains one with odds below 1 in 10^7 (and a hex value never does).
 */
const PLACEHOLDER_WORDS = ['replace', 'change', 'example', 'placeholder', 'secret', 'password', 'passwd', 'insecure', 'default', 'sample', 'keyward'];

/**
 * A deliberately cautious estimate of a value's entropy in bits, meant to catch values people
 * make up rather than to measure random ones exactly:
 * - bits per character: log2 of the smaller of the alphabet the value draws from (hex, or the
 *   character classes it uses) and the number of distinct characters it actually has;
 * - characters that continue a run (aaa, abc, 321) or repeat an earlier three-character
 *   sequence count for nothing.
 * `openssl rand -base64 32` rates about 220 bits (never under 185 in 300,000 draws),
 * `openssl rand -hex 32` about 250; "a" × 40 rates 0 and "0123456789abcdef" × 2 rates 24.
 */
export function estimateSecretBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const distinct = new Set(chars).size;
  const bitsPerChar = Math.min(Math.log2(alphabetSize(value)), Math.log2(distinct));
  const codes = chars.map((c) => c.codePointAt(0)!);
  const seen = new Set<string>();
  let predictable = 0;
  for (let i = 2; i < chars.length; i += 1) {
    const step = codes[i]! - codes[i - 1]!;
    const run = step === codes[i - 1]! - codes[i - 2]! && Math.abs(step) <= 1;
    const trigram = chars[i - 2]! + chars[i - 1]! + chars[i]!;
    if (run || seen.has(trigram)) predictable += 1;
    seen.add(trigram);
  }
  return (chars.length - predictable) * bitsPerChar;
}

function alphabetSize(value: string): number {
  if (/^[0-9a-f]+$/.test(value) || /^[0-9A-F]+$/.test(value)) return 16;
  let size = 0;
  if (/[0-9]/.test(value)) size += 10;
  if (/[a-z]/.test(value)) size += 26;
  if (/[A-Z]/.test(value)) size += 26;
  if (/[^0-9A-Za-z]/.test(value)) size += 33;
  return size;
}

/** Why `value` cannot serve as a production secret, or undefined when it can. Never quotes the value. */
export function weakSecretReason(value: string, minBits = MIN_GENERATED_SECRET_BITS): string | undefined {
  if (isKnownSecret(value)) return 'is a value shipped in the Keyward repository (an example or placeholder anyone can read)';
  const word = placeholderWord(value);
  if (word) return `looks like a placeholder (it contains "${word}")`;
  const bits = estimateSecretBits(value);
  if (bits < minBits) return `is too predictable (about ${Math.floor(bits)} bits of entropy estimated, at least ${minBits} needed)`;
  return undefined;
}

export function placeholderWord(value: string): string | undefined {
  const lower = value.toLowerCase();
  return PLACEHOLDER_WORDS.find((word) => lower.includes(word));
}

/**
 * The problem with the password inside a connection URL (SMTP_URL, DATABASE_URL), if any.
 * Only shipped values and placeholders are refused: the mail or database provider chose the
 * password, so its length is not the operator's to fix.
 */
export function weakUrlPasswordReason(url: string): string | undefined {
  const password = urlPassword(url);
  if (password === undefined) return undefined;
  if (isKnownSecret(url) || isKnownSecret(password)) return 'carries a password shipped in the Keyward repository (an example anyone can read)';
  const word = placeholderWord(password);
  return word ? `carries a placeholder password (it contains "${word}")` : undefined;
}

/**
 * The decoded password of a URL's userinfo, or undefined when it has none. Parsed by hand:
 * a MongoDB URL may list several hosts (h1:27017,h2:27017), which WHATWG URL refuses.
 */
export function urlPassword(url: string): string | undefined {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (!userinfo || colon < 0 || colon === userinfo.length - 1) return undefined;
  const password = userinfo.slice(colon + 1);
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}
