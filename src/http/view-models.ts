import type { PendingInteraction } from '../oidc/interactions.ts';
import { NO_ERRORS, type FormErrors } from './forms.ts';

/** Plain-language descriptions of the OpenID scopes an end user may be asked to grant. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'scope.openid',
  profile: 'scope.profile',
  email: 'scope.email',
  roles: 'scope.roles',
  offline_access: 'scope.offlineAccess',
};

export interface LoginViewModel {
  uid: string;
  /** "Continue with …" buttons. */
  upstreams: { id: string; name: string; icon: string }[];
  /** Set while an upstream identity waits for this account's password to be linked. */
  linkNotice: string | undefined;
  clientName: string;
  clientLogoUri: string | undefined;
  csrfToken: string;
  email: string;
  errors: FormErrors;
  registrationEnabled: boolean;
  returnTo: string;
}

export interface ConsentViewModel {
  uid: string;
  clientName: string;
  clientLogoUri: string | undefined;
  csrfToken: string;
  scopes: { name: string; description: string }[];
  /** What the app will receive about the account, shown as it is. */
  shared: { label: string; value: string }[];
}

export function loginViewModel(
  pending: PendingInteraction,
  csrfToken: string,
  form: { email?: string | undefined; errors?: FormErrors; registrationEnabled: boolean; upstreams: readonly { id: string; name: string; icon: string }[]; linkNotice: string | undefined },
): LoginViewModel {
  return {
    uid: pending.uid,
    upstreams: form.upstreams.map(({ id, name, icon }) => ({ id, name, icon })),
    linkNotice: form.linkNotice,
    clientName: pending.client.name,
    clientLogoUri: pending.client.logoUri,
    csrfToken,
    email: form.email ?? pending.loginHint ?? '',
    errors: form.errors ?? NO_ERRORS,
    registrationEnabled: form.registrationEnabled,
    returnTo: `/interaction/${pending.uid}`,
  };
}

export function consentViewModel(pending: PendingInteraction, csrfToken: string): ConsentViewModel {
  const asked = new Set(pending.requestedScopes);
  const shared: { label: string; value: string }[] = [];
  if (pending.account && asked.has('email')) shared.push({ label: 'field.email', value: pending.account.email });
  if (pending.account?.name && asked.has('profile')) shared.push({ label: 'field.name', value: pending.account.name });
  return {
    uid: pending.uid,
    clientName: pending.client.name,
    clientLogoUri: pending.client.logoUri,
    csrfToken,
    scopes: [
      ...pending.requestedScopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
      ...pending.apiScopes.map(({ api, scope, description }) => ({ name: scope, description: `${description} (${api})` })),
    ],
    shared,
  };
}
