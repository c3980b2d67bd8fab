import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { Authenticator, OidcRecordStore } from '../../stores/types.ts';
import { takeRecord } from '../single-use-records.ts';

/** A ceremony must finish within this long (WebAuthn §5.4.4 recommends 300 s for UV ceremonies). */
const CEREMONY_TTL_MS = 5 * 60 * 1000;
const CHALLENGES = 'KeywardWebAuthnChallenge';

export interface WebAuthnSettings {
  rpId: string;
  rpName: string;
  /** The issuer's origin: the only origin a ceremony may come from. */
  origin: string;
}

/** What a registration proved: a new credential to store. */
export interface RegisteredPasskey {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
  backedUp: boolean;
}

const base64url = z.string().max(4096).regex(/^[A-Za-z0-9_-]*$/);
// Shapes of the browser's PublicKeyCredential.toJSON() (WebAuthn Level 3 §5.1.8); checked before
// the library parses them, so that a malformed post is a refusal, never an exception.
const credentialShape = z.object({ id: base64url, rawId: base64url, type: z.literal('public-key'), clientExtensionResults: z.record(z.string(), z.unknown()).default({}), authenticatorAttachment: z.string().max(40).optional() });
const registrationShape = credentialShape.extend({
  response: z.object({ clientDataJSON: base64url, attestationObject: base64url.max(16_384), transports: z.array(z.string().max(40)).max(10).optional() }),
});
const authenticationShape = credentialShape.extend({
  response: z.object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
});

/** The credential id a posted assertion names (to find its passkey), if the post has the right shape. */
export function parseAssertion(json: string): AuthenticationResponseJSON | undefined {
  const parsed = authenticationShape.safeParse(safeJson(json));
  return parsed.success ? (parsed.data as unknown as AuthenticationResponseJSON) : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * WebAuthn ceremonies through @simplewebauthn/server. Each challenge is kept server-side under
 * a key naming what it is for (a sign-in's interaction, an account's registration) and is taken
 * once: a response can be verified a single time.
 */
export function createWebAuthn(deps: { settings: WebAuthnSettings; records: OidcRecordStore; clock: Clock }) {
  const { settings, records, clock } = deps;
  const keep = async (key: string, challenge: string) => records.upsert(CHALLENGES, key, { challenge }, clock.now() + CEREMONY_TTL_MS);
  const take = async (key: string): Promise<string | undefined> => {
    const record = await takeRecord(records, CHALLENGES, key);
    return typeof record?.challenge === 'string' ? record.challenge : undefined;
  };

  return {
    async registrationOptions(key: string, account: { id: string; email: string; name: string | undefined }, existing: readonly Authenticator[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const options = await generateRegistrationOptions({
        rpName: settings.rpName,
        rpID: settings.rpId,
        userName: account.email,
        userDisplayName: account.name ?? account.email,
        // The user handle is the account id: no personal data (WebAuthn §14.6.1).
        userID: new TextEncoder().encode(account.id),
        attestationType: 'none',
        excludeCredentials: existing.filter((a) => a.credentialId).map((a) => ({ id: a.credentialId!, transports: a.transports })),
        // Discoverable, so that it can sign in without an email; verification required for passwordless.
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await keep(key, options.challenge);
      return options;
    },

    async verifyRegistration(key: string, json: string): Promise<RegisteredPasskey | undefined> {
      const parsed = registrationShape.safeParse(safeJson(json));
      const challenge = await take(key);
      if (!parsed.success || !challenge) return undefined;
      try {
        const { verified, registrationInfo } = await verifyRegistrationResponse({
          response: parsed.data as unknown as RegistrationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: settings.origin,
          expectedRPID: settings.rpId,
          requireUserVerification: true,
        });
        if (!verified) return undefined;
        const { credential, credentialBackedUp } = registrationInfo;
        return { credentialId: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'), counter: credential.counter, transports: credential.transports ?? [], backedUp: credentialBackedUp };
      } catch {
        return undefined; // a response that does not verify is a refusal, whatever the reason
      }
    },

    /** Options for an assertion: any discoverable passkey (`allow` empty), or one of the account's. */
    async authenticationOptions(key: string, allow: readonly Authenticator[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const options = await generateAuthenticationOptions({
        rpID: settings.rpId,
        allowCredentials: allow.filter((a) => a.credentialId).map((a) => ({ id: a.credentialId!, transports: a.transports })),
        userVerification: allow.length === 0 ? 'required' : 'preferred',
      });
      await keep(key, options.challenge);
      return options;
    },

    async verifyAuthentication(key: string, assertion: AuthenticationResponseJSON, passkey: Authenticator, requireUserVerification: boolean) {
      const challenge = await take(key);
      if (!challenge || passkey.credentialId !== assertion.id) return undefined;
      try {
        const { verified, authenticationInfo } = await verifyAuthenticationResponse({
          response: assertion,
          expectedChallenge: challenge,
          expectedOrigin: settings.origin,
          expectedRPID: settings.rpId,
          credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.secret, 'base64url'), counter: passkey.counter, transports: passkey.transports },
          requireUserVerification,
        });
        if (!verified) return undefined;
        return { newCounter: authenticationInfo.newCounter, userVerified: authenticationInfo.userVerified, backedUp: authenticationInfo.credentialBackedUp };
      } catch {
        return undefined;
      }
    },
  };
}

export type WebAuthn = ReturnType<typeof createWebAuthn>;
