import { Schema, type Connection } from 'mongoose';

/**
 * One model per collection. Payloads that oidc-provider owns are stored as JSON strings: its
 * session payload uses client ids as keys, and MongoDB forbids dots and `$` in field names.
 * Expiring records carry `expiresAt` with a TTL index (the monitor may lag ~60 s, so reads
 * still check the time).
 */
const options = { versionKey: false, bufferCommands: false, autoIndex: false, autoCreate: false } as const;

export interface OidcRecordDoc { _id: string; model: string; id: string; payload: string; grantId?: string; uid?: string; userCode?: string; accountId?: string; expiresAt?: Date | null; consumedAt?: number | null }
const oidcRecord = new Schema<OidcRecordDoc>({
  _id: String, model: String, id: String, payload: String, grantId: String, uid: String, userCode: String, accountId: String, expiresAt: Date, consumedAt: Number,
}, options);
oidcRecord.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'ttl_expiresAt' });
oidcRecord.index({ model: 1, grantId: 1 }, { partialFilterExpression: { grantId: { $type: 'string' } }, name: 'model_grantId' });
oidcRecord.index({ model: 1, uid: 1 }, { partialFilterExpression: { uid: { $type: 'string' } }, name: 'model_uid' });
oidcRecord.index({ model: 1, userCode: 1 }, { partialFilterExpression: { userCode: { $type: 'string' } }, name: 'model_userCode' });
oidcRecord.index({ accountId: 1 }, { partialFilterExpression: { accountId: { $type: 'string' } }, name: 'accountId' });

export interface SigningKeyDoc { _id: string; alg: string; privateJwk: string; createdAt: number; state: string; stateSince: number }
const signingKey = new Schema<SigningKeyDoc>({ _id: String, alg: String, privateJwk: String, createdAt: Number, state: String, stateSince: Number }, options);
signingKey.index({ state: 1 }, { name: 'state' });

export interface SecretDoc { _id: string; value: string; createdAt: number; version?: number }
const secret = new Schema<SecretDoc>({ _id: String, value: String, createdAt: Number, version: Number }, options);

export interface ClientDoc { _id: string; metadata: string; createdAt: number; updatedAt: number; revision?: number }
const client = new Schema<ClientDoc>({ _id: String, metadata: String, createdAt: Number, updatedAt: Number, revision: Number }, options);

/** An API added at run time; `_id` is its identifier, `definition` its JSON (scope names may hold dots, which field names may not). */
export interface ApiDoc { _id: string; definition: string; revision: number; createdAt: number; updatedAt: number }
const api = new Schema<ApiDoc>({ _id: String, definition: String, revision: Number, createdAt: Number, updatedAt: Number }, options);

export interface AccountDoc {
  _id: string; email: string; emailNormalized: string; emailVerified: boolean; name?: string | null; picture?: string | null; passwordHash?: string | null;
  roles: string[]; disabled: boolean; createdAt: number; updatedAt: number; lastSignInAt?: number | null;
  /** Absent on accounts written before revisions existed: read as 0 ($inc makes it 1). */
  revision?: number;
}
const account = new Schema<AccountDoc>({
  _id: String, email: String, emailNormalized: String, emailVerified: Boolean, name: String, picture: String, passwordHash: String,
  roles: [String], disabled: Boolean, createdAt: Number, updatedAt: Number, lastSignInAt: Number, revision: Number,
}, options);
account.index({ emailNormalized: 1 }, { unique: true, name: 'unique_emailNormalized' });
account.index({ createdAt: 1, _id: 1 }, { name: 'createdAt' });

export interface FederatedIdentityDoc { _id: string; upstream: string; subject: string; accountId: string; email?: string | null; createdAt: number; lastUsedAt: number }
const federatedIdentity = new Schema<FederatedIdentityDoc>({ _id: String, upstream: String, subject: String, accountId: String, email: String, createdAt: Number, lastUsedAt: Number }, options);
federatedIdentity.index({ accountId: 1 }, { name: 'accountId' });

export interface OneTimeTokenDoc { _id: string; purpose: string; accountId: string; createdAt: number; expiresAt: Date; usedAt?: number | null }
const oneTimeToken = new Schema<OneTimeTokenDoc>({ _id: String, purpose: String, accountId: String, createdAt: Number, expiresAt: Date, usedAt: Number }, options);
oneTimeToken.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'ttl_expiresAt' });
oneTimeToken.index({ accountId: 1, purpose: 1 }, { name: 'account_purpose' });

export interface ThrottleDoc { _id: string; count: number; windowEndsAt: Date }
const throttle = new Schema<ThrottleDoc>({ _id: String, count: Number, windowEndsAt: Date }, options);
throttle.index({ windowEndsAt: 1 }, { expireAfterSeconds: 0, name: 'ttl_windowEndsAt' });

export interface AuditDoc { at: Date; event: string; outcome: string; accountId?: string; clientId?: string; ip?: string; userAgent?: string; details?: string }
const audit = new Schema<AuditDoc>({ at: Date, event: String, outcome: String, accountId: String, clientId: String, ip: String, userAgent: String, details: String }, options);
audit.index({ at: -1 }, { name: 'at' });
audit.index({ accountId: 1, at: -1 }, { partialFilterExpression: { accountId: { $type: 'string' } }, name: 'account_at' });
audit.index({ event: 1, at: -1 }, { name: 'event_at' });
audit.index({ clientId: 1, at: -1 }, { partialFilterExpression: { clientId: { $type: 'string' } }, name: 'client_at' });

export interface MailOutboxDoc {
  _id: string; recipient: string; subject: string; body: string; createdAt: number; attempts: number;
  nextAttemptAt: number; leaseUntil?: number | null; lastError?: string | null; abandonedAt?: number | null;
}
const mailOutbox = new Schema<MailOutboxDoc>({
  _id: String, recipient: String, subject: String, body: String, createdAt: Number, attempts: Number,
  nextAttemptAt: Number, leaseUntil: Number, lastError: String, abandonedAt: Number,
}, options);
mailOutbox.index({ abandonedAt: 1, nextAttemptAt: 1 }, { name: 'due' });

export interface AuthenticatorDoc {
  _id: string; accountId: string; kind: string; name: string; secret: string; credentialId?: string | null; counter: number; transports: string[];
  backedUp: boolean; confirmed: boolean; lastUsedStep?: number | null; createdAt: number; lastUsedAt?: number | null;
}
const authenticator = new Schema<AuthenticatorDoc>({
  _id: String, accountId: String, kind: String, name: String, secret: String, credentialId: String, counter: Number, transports: [String],
  backedUp: Boolean, confirmed: Boolean, lastUsedStep: Number, createdAt: Number, lastUsedAt: Number,
}, options);
authenticator.index({ accountId: 1, createdAt: 1, _id: 1 }, { name: 'account_createdAt' });
// Partial, so the TOTP authenticators (credentialId null) do not collide with each other.
authenticator.index({ credentialId: 1 }, { unique: true, partialFilterExpression: { credentialId: { $type: 'string' } }, name: 'unique_credentialId' });

/** One document per code; `_id` is (accountId, codeHash). */
export interface RecoveryCodeDoc { _id: string; accountId: string; codeHash: string; usedAt?: number | null }
const recoveryCode = new Schema<RecoveryCodeDoc>({ _id: String, accountId: String, codeHash: String, usedAt: Number }, options);
recoveryCode.index({ accountId: 1 }, { name: 'accountId' });

export function createModels(connection: Connection) {
  return {
    oidcRecords: connection.model('OidcRecord', oidcRecord, 'oidc_records'),
    signingKeys: connection.model('SigningKey', signingKey, 'signing_keys'),
    secrets: connection.model('Secret', secret, 'secrets'),
    clients: connection.model('Client', client, 'clients'),
    apis: connection.model('Api', api, 'apis'),
    accounts: connection.model('Account', account, 'accounts'),
    federatedIdentities: connection.model('FederatedIdentity', federatedIdentity, 'federated_identities'),
    oneTimeTokens: connection.model('OneTimeToken', oneTimeToken, 'one_time_tokens'),
    throttle: connection.model('ThrottleCounter', throttle, 'throttle_counters'),
    audit: connection.model('AuditEvent', audit, 'audit_events'),
    mailOutbox: connection.model('MailOutbox', mailOutbox, 'mail_outbox'),
    authenticators: connection.model('Authenticator', authenticator, 'authenticators'),
    recoveryCodes: connection.model('RecoveryCode', recoveryCode, 'recovery_codes'),
  };
}

export type MongoModels = ReturnType<typeof createModels>;
