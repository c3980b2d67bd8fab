import type { PendingInteraction } from '../oidc/interactions.ts';

/** Plain-language descriptions of the scopes an end user may be asked to grant. */
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are (a stable identifier for your account)',
  profile: 'See your name',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay signed in to the app when you are not using it',
};

export interface LoginViewModel {
  uid: string;
  clientName: string;
  csrfToken: string;
  email: string;
  error: string | undefined;
}

export interface ConsentViewModel {
  uid: string;
  clientName: string;
  clientLogoUri: string | undefined;
  csrfToken: string;
  scopes: { name: string; description: string }[];
}

export function loginViewModel(pending: PendingInteraction, csrfToken: string, form: { email?: string; error?: string } = {}): LoginViewModel {
  return {
    uid: pending.uid,
    clientName: pending.client.name,
    csrfToken,
    email: form.email ?? pending.loginHint ?? '',
    error: form.error,
  };
}

export function consentViewModel(pending: PendingInteraction, csrfToken: string): ConsentViewModel {
  return {
    uid: pending.uid,
    clientName: pending.client.name,
    clientLogoUri: pending.client.logoUri,
    csrfToken,
    scopes: pending.requestedScopes.map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? name })),
  };
}
