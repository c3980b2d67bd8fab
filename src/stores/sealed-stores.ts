import type { Sealer } from '../lib/sealed-values.ts';
import type { Authenticator, AuthenticatorStore, SecretStore, SigningKeyStore, StoredSigningKey, Stores } from './types.ts';

/**
 * Private signing keys and stored secrets (cookie secrets, the client-secret hash key) encrypted
 * at rest with KEYWARD_ENCRYPTION_KEY, for every backend: this wraps the backend's stores, so
 * SQLite and MongoDB store the same sealed strings. A sealed private JWK is kept as
 * `{ "sealed": "kw-sealed:v1:…" }` in place of the JWK; values stored before a key was set
 * are read as they are.
 *
 * Re-encryption happens in migrate() — `keyward migrate`, which `keyward start` runs for
 * SQLite: every plaintext value, and every value sealed with a key other than the first, is
 * sealed again with the first key (compare-and-set, so concurrent writers never lose a value).
 */
export function sealStores(stores: Stores, sealer: Sealer): Stores {
  const wrapped = Object.create(stores) as Stores;
  let signingKeys: SigningKeyStore | undefined;
  let secrets: SecretStore | undefined;
  let authenticators: AuthenticatorStore | undefined;
  // Wrapped on first use: a backend may prepare its stores only once the schema exists.
  Object.defineProperty(wrapped, 'signingKeys', { get: () => (signingKeys ??= sealSigningKeys(stores.signingKeys, sealer)) });
  Object.defineProperty(wrapped, 'secrets', { get: () => (secrets ??= sealSecrets(stores.secrets, sealer)) });
  Object.defineProperty(wrapped, 'authenticators', { get: () => (authenticators ??= sealAuthenticators(stores.authenticators, sealer)) });
  Object.defineProperty(wrapped, 'migrate', {
    value: async () => {
      const changes = await stores.migrate();
      const resealed = await reseal(stores, sealer);
      return resealed > 0 ? [...changes, `re-encrypted ${resealed} stored value${resealed === 1 ? '' : 's'} with the first KEYWARD_ENCRYPTION_KEY`] : changes;
    },
  });
  return wrapped;
}

const keyContext = (kid: string) => `private signing key ${kid}`;
const secretContext = (name: string) => `secret "${name}"`;

function sealedJwkOf(jwk: Record<string, unknown>): string | undefined {
  return typeof jwk.sealed === 'string' ? jwk.sealed : undefined;
}

function sealSigningKeys(store: SigningKeyStore, sealer: Sealer): SigningKeyStore {
  const seal = (key: StoredSigningKey): StoredSigningKey =>
    sealer.enabled ? { ...key, privateJwk: { sealed: sealer.seal(JSON.stringify(key.privateJwk), keyContext(key.kid)) } } : key;
  const open = (key: StoredSigningKey): StoredSigningKey => {
    const sealed = sealedJwkOf(key.privateJwk);
    return sealed === undefined ? key : { ...key, privateJwk: JSON.parse(sealer.open(sealed, keyContext(key.kid))) as Record<string, unknown> };
  };
  return {
    list: async () => (await store.list()).map(open),
    initialiseIfEmpty: async (keys) => (await store.initialiseIfEmpty(keys.map(seal))).map(open),
    addNext: (keys) => store.addNext(keys.map(seal)),
    rotate: (expectedCurrent, newNext, now) => store.rotate(expectedCurrent, newNext.map(seal), now),
    retirePrevious: (cutoff) => store.retirePrevious(cutoff),
    // Compare-and-set on the plaintext: the stored ciphertext differs at every sealing.
    async replacePrivateJwk(kid, expected, privateJwk) {
      const stored = (await store.list()).find((key) => key.kid === kid);
      if (!stored || JSON.stringify(open(stored).privateJwk) !== JSON.stringify(expected)) return false;
      return store.replacePrivateJwk(kid, stored.privateJwk, seal({ ...stored, privateJwk }).privateJwk);
    },
  };
}

function sealSecrets(store: SecretStore, sealer: Sealer): SecretStore {
  return {
    getOrCreate: async (name, value) => sealer.open(await store.getOrCreate(name, sealer.seal(value, secretContext(name))), secretContext(name)),
    list: async () => (await store.list()).map(({ name, value }) => ({ name, value: sealer.open(value, secretContext(name)) })),
    async replace(name, expected, value) {
      const stored = (await store.list()).find((secret) => secret.name === name);
      if (!stored || sealer.open(stored.value, secretContext(name)) !== expected) return false;
      return store.replace(name, stored.value, sealer.seal(value, secretContext(name)));
    },
  };
}

/**
 * TOTP shared secrets are sealed (a copy of the database must not yield working second factors);
 * passkey public keys are not secret and stay plain. The context is the account, known before
 * the row's id exists. Plaintext ones (stored before a key was set) are read as they are, and
 * sealed, like every other sealed value, by migrate().
 */
function sealAuthenticators(store: AuthenticatorStore, sealer: Sealer): AuthenticatorStore {
  const context = totpContext;
  const open = <T extends Authenticator | undefined>(a: T): T => (a?.kind === 'totp' ? { ...a, secret: sealer.open(a.secret, context(a.accountId)) } : a);
  return {
    ...store,
    create: async (a) => open(await store.create(a.kind === 'totp' ? { ...a, secret: sealer.seal(a.secret, context(a.accountId)) } : a)),
    find: async (id) => open(await store.find(id)),
    findByCredentialId: async (credentialId) => open(await store.findByCredentialId(credentialId)),
    listForAccount: async (accountId) => (await store.listForAccount(accountId)).map(open),
    listTotp: async () => (await store.listTotp()).map(open),
    // Compare-and-set on the plaintext: the stored ciphertext differs at every sealing.
    async replaceSecret(id, expected, secret) {
      const stored = await store.find(id);
      if (stored?.kind !== 'totp' || sealer.open(stored.secret, context(stored.accountId)) !== expected) return false;
      return store.replaceSecret(id, stored.secret, sealer.seal(secret, context(stored.accountId)));
    },
  };
}

const totpContext = (accountId: string) => `TOTP secret of account ${accountId}`;

/** Seals with the first key what is plaintext or sealed with another key; returns how many values changed. */
async function reseal(stores: Stores, sealer: Sealer): Promise<number> {
  if (!sealer.enabled) return 0;
  let count = 0;
  for (const key of await stores.signingKeys.list()) {
    const stored = sealedJwkOf(key.privateJwk) ?? JSON.stringify(key.privateJwk);
    if (!sealer.needsResealing(stored)) continue;
    const plaintext = sealer.open(stored, keyContext(key.kid));
    const privateJwk = { sealed: sealer.seal(plaintext, keyContext(key.kid)) };
    if (await stores.signingKeys.replacePrivateJwk(key.kid, key.privateJwk, privateJwk)) count += 1;
  }
  for (const { name, value } of await stores.secrets.list()) {
    if (!sealer.needsResealing(value)) continue;
    const sealed = sealer.seal(sealer.open(value, secretContext(name)), secretContext(name));
    if (await stores.secrets.replace(name, value, sealed)) count += 1;
  }
  for (const app of await stores.authenticators.listTotp()) {
    if (!sealer.needsResealing(app.secret)) continue;
    const sealed = sealer.seal(sealer.open(app.secret, totpContext(app.accountId)), totpContext(app.accountId));
    if (await stores.authenticators.replaceSecret(app.id, app.secret, sealed)) count += 1;
  }
  return count;
}
