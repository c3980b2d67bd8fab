import { describe, expect, it } from '@jest/globals';
import { ACR_MULTI_FACTOR, ACR_ONE_FACTOR, combineMethods, mfaRequiredBy, nextStep } from '../../src/services/mfa/mfa-policy.ts';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from '../../src/services/mfa/recovery-codes.ts';
import { acrFor } from '../../src/services/mfa/sign-in-steps.ts';
import { matchTotpStep, newTotpSecret, totpCodeAt, totpStep, totpUri } from '../../src/services/mfa/totp.ts';

// RFC 6238 Appendix B: the SHA-1 test secret "12345678901234567890", as base32.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it('produces the RFC 6238 test vectors (last 6 digits of the 8-digit values)', () => {
    expect(totpCodeAt(RFC_SECRET, 59_000)).toBe('287082');
    expect(totpCodeAt(RFC_SECRET, 1_111_111_109_000)).toBe('081804');
    expect(totpCodeAt(RFC_SECRET, 1_234_567_890_000)).toBe('005924');
    expect(totpCodeAt(RFC_SECRET, 2_000_000_000_000)).toBe('279037');
  });

  it('accepts the current step and one either side, and nothing further', () => {
    const now = 1_700_000_015_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) expect(matchTotpStep(RFC_SECRET, totpCodeAt(RFC_SECRET, now + offset * 30_000), now)).toBe(step + offset);
    for (const offset of [-3, -2, 2, 3]) expect(matchTotpStep(RFC_SECRET, totpCodeAt(RFC_SECRET, now + offset * 30_000), now)).toBeUndefined();
  });

  it('reads codes with spaces, and refuses what is not six digits', () => {
    const now = 1_700_000_015_000;
    const code = totpCodeAt(RFC_SECRET, now);
    expect(matchTotpStep(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(totpStep(now));
    for (const junk of ['', '12345', '1234567', 'abcdef', `${code}\n1`, '１２３４５６']) expect(matchTotpStep(RFC_SECRET, junk, now)).toBeUndefined();
  });

  it('makes 160-bit secrets and an otpauth URI apps can scan, with the issuer and account', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(totpUri(secret, 'ada@example.com', 'Keyward'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Keyward');
    expect(decodeURIComponent(uri.pathname)).toContain('ada@example.com');
  });
});

describe('recovery codes', () => {
  it('makes ten distinct codes that survive being typed back in any case, with spaces', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      expect(normaliseRecoveryCode(` ${code.toUpperCase().replace('-', ' - ')} `)).toBe(code.replace('-', ''));
    }
    expect(normaliseRecoveryCode('abcde-1234')).toBeUndefined();
    expect(normaliseRecoveryCode('abcde-0000o')).toBeUndefined();
  });

  it('hashes a code per account, under the server key', () => {
    expect(hashRecoveryCode('k', 'a', 'abcdefghjk')).not.toBe(hashRecoveryCode('k', 'b', 'abcdefghjk'));
    expect(hashRecoveryCode('k', 'a', 'abcdefghjk')).toBe(hashRecoveryCode('k', 'a', 'abcdefghjk'));
    expect(hashRecoveryCode('k', 'a', 'abcdefghjk')).not.toBe(hashRecoveryCode('other key', 'a', 'abcdefghjk'));
  });
});

describe('MFA policy', () => {
  const base = { policy: 'optional' as const, clientRequiresMfa: false, roleRequiresMfa: false, acrValues: undefined };

  it('says what requires a second factor', () => {
    expect(mfaRequiredBy(base)).toBeUndefined();
    expect(mfaRequiredBy({ ...base, policy: 'required' })).toBe('policy');
    expect(mfaRequiredBy({ ...base, clientRequiresMfa: true })).toBe('client');
    expect(mfaRequiredBy({ ...base, roleRequiresMfa: true })).toBe('role');
    expect(mfaRequiredBy({ ...base, acrValues: ACR_MULTI_FACTOR })).toBe('acr_values');
    // Either level acceptable: one factor is enough.
    expect(mfaRequiredBy({ ...base, acrValues: `${ACR_MULTI_FACTOR} ${ACR_ONE_FACTOR}` })).toBeUndefined();
    expect(mfaRequiredBy({ ...base, acrValues: 'urn:unknown' })).toBeUndefined();
  });

  it('combines RFC 8176 methods, adding mfa only for two kinds of factor or a verified passkey', () => {
    expect(combineMethods([], ['pwd'])).toEqual(['pwd']);
    expect(combineMethods(['pwd'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(combineMethods(['fed'], ['hwk'])).toEqual(['fed', 'hwk', 'mfa']);
    expect(combineMethods([], ['swk', 'user'])).toEqual(['swk', 'user', 'mfa']);
    expect(combineMethods([], ['swk'])).toEqual(['swk']);
    // Two one-time codes are still one kind of factor.
    expect(combineMethods(['otp'], ['otp'])).toEqual(['otp']);
    expect(combineMethods(['pwd', 'otp', 'mfa'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('decides the next step', () => {
    expect(nextStep({ amr: ['pwd'], hasSecondFactor: false, required: false })).toEqual({ step: 'done' });
    expect(nextStep({ amr: ['pwd'], hasSecondFactor: true, required: false })).toEqual({ step: 'second_factor' });
    expect(nextStep({ amr: ['pwd'], hasSecondFactor: false, required: true })).toEqual({ step: 'enrol' });
    expect(nextStep({ amr: ['pwd', 'otp', 'mfa'], hasSecondFactor: true, required: true })).toEqual({ step: 'done' });
    expect(nextStep({ amr: ['fed'], hasSecondFactor: true, required: false })).toEqual({ step: 'second_factor' });
  });

  it('reports the requested ACR the sign-in satisfies', () => {
    expect(acrFor(['pwd'], undefined)).toBe(ACR_ONE_FACTOR);
    expect(acrFor(['pwd', 'otp', 'mfa'], undefined)).toBe(ACR_MULTI_FACTOR);
    // A multi-factor sign-in satisfies a request for one factor (no prompt loop on an essential 1fa).
    expect(acrFor(['pwd', 'otp', 'mfa'], ACR_ONE_FACTOR)).toBe(ACR_ONE_FACTOR);
    expect(acrFor(['pwd'], ACR_MULTI_FACTOR)).toBe(ACR_ONE_FACTOR);
  });
});
