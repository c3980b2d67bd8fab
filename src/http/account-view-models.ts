import type { ConnectedApp } from '../services/account-center/connected-apps.service.ts';
import type { SessionDevice } from '../services/account-center/devices.service.ts';
import type { AccountRecord } from '../stores/types.ts';
import type { FormErrors } from './forms.ts';

const when = (ms: number | undefined) => (ms === undefined ? 'sessions.unknown' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC');

export function accountViewModel(account: AccountRecord, identities: readonly { upstream: string; subject: string; name: string; email: string | undefined }[], errors: FormErrors, message: string | undefined) {
  return {
    signedIn: true,
    email: account.email,
    emailVerified: account.emailVerified,
    name: account.name ?? '',
    picture: account.picture ?? '',
    identities,
    errors,
    message,
  };
}

export function sessionsViewModel(devices: readonly SessionDevice[]) {
  return {
    sessions: devices.map((d) => ({ id: d.sessionId, browser: d.browser, ip: d.ip, signedInAt: when(d.signedInAt), lastSeenAt: when(d.lastSeenAt), current: d.current, twoStep: d.methods.includes('mfa') })),
    others: devices.filter((d) => !d.current).length,
  };
}

export function appsViewModel(apps: readonly ConnectedApp[]) {
  return {
    apps: apps.map((a) => ({ clientId: a.clientId, scopes: [...a.scopes, ...a.apiScopes.flatMap((api) => api.scopes.map((scope) => `${scope} (${api.api})`))], grantedAt: when(a.grantedAt), lastUsedAt: a.lastUsedAt ? when(a.lastUsedAt) : 'apps.notYet' })),
  };
}
