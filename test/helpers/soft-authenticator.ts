import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator (a passkey provider) for tests and the bench: it answers
 * the JSON options Keyward sends with what a browser's PublicKeyCredential.toJSON() gives,
 * with "none" attestation and ES256 keys. Written from the WebAuthn Level 3 spec (§6.1
 * authenticator data, §6.5 attestation object), independently of the server library.
 */
interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  counter: number;
}

const b64u = (bytes: Buffer | Uint8Array) => Buffer.from(bytes).toString('base64url');

// The smallest CBOR encoder (RFC 8949) the attestation object and a COSE key need.
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}
type Cbor = number | string | Buffer | Map<Cbor, Cbor>;
function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([cborHead(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (Buffer.isBuffer(value)) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

export class SoftAuthenticator {
  readonly credentials: StoredCredential[] = [];

  private readonly origin: string;
  private readonly options: { backedUp?: boolean; userVerified?: boolean };

  constructor(origin: string, options: { backedUp?: boolean; userVerified?: boolean } = {}) {
    this.origin = origin;
    this.options = options;
  }

  private flags(attested: boolean): number {
    const backedUp = this.options.backedUp ?? true;
    // UP, UV (unless told not to), BE and BS for a synced passkey, AT when a credential is attached.
    return 0x01 | (this.options.userVerified === false ? 0 : 0x04) | (backedUp ? 0x18 : 0) | (attested ? 0x40 : 0);
  }

  private static clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() for `options` (PublicKeyCredentialCreationOptionsJSON). */
  register(options: { challenge: string; rp: { id: string }; user: { id: string } }): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = randomBytes(16);
    const credential = { id, privateKey, userHandle: options.user.id, rpId: options.rp.id, counter: 0 };
    this.credentials.push(credential);
    const coseKey = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const idLength = Buffer.from([id.length >> 8, id.length & 0xff]);
    const authData = Buffer.concat([this.rpIdHash(options.rp.id), Buffer.from([this.flags(true)]), Buffer.alloc(4), Buffer.alloc(16), idLength, id, coseKey]);
    const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    return {
      id: b64u(id), rawId: b64u(id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: b64u(SoftAuthenticator.clientData('webauthn.create', options.challenge, this.origin)), attestationObject: b64u(attestationObject), transports: ['internal'] },
    };
  }

  /** navigator.credentials.get() for `options` (PublicKeyCredentialRequestOptionsJSON); the first matching credential answers. */
  authenticate(options: { challenge: string; rpId?: string; allowCredentials?: { id: string }[] }, pick?: (c: StoredCredential) => boolean): Record<string, unknown> {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find((c) => (!options.rpId || c.rpId === options.rpId) && (allowed.size === 0 || allowed.has(b64u(c.id))) && (!pick || pick(c)));
    if (!credential) throw new Error('the soft authenticator has no credential for these options');
    credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([this.rpIdHash(credential.rpId), Buffer.from([this.flags(false)]), counter]);
    const clientData = SoftAuthenticator.clientData('webauthn.get', options.challenge, this.origin);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), credential.privateKey);
    return {
      id: b64u(credential.id), rawId: b64u(credential.id), type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: credential.userHandle },
    };
  }

  private rpIdHash(rpId: string): Buffer {
    return createHash('sha256').update(rpId).digest();
  }
}
