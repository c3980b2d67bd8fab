import { totpCodeAt, totpStep } from '../../src/services/mfa/totp.ts';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.ts';
import { csrfTokenIn, UserAgent, walkSignIn, type SignInAnswers } from '../../test/helpers/user-agent.ts';
import { USER } from './fixtures.ts';
import { codeFlow, passwordSignIn, type SignIn } from './flows.ts';
import { httpFetch } from './http-fetch.ts';
import type { SeededAccount } from './keyward-process.ts';

/** From an authorization URL to the redirect to the client, answering each page (test/helpers/user-agent.ts). */
const steps = (answers: SignInAnswers): SignIn => (agent, authorizationUrl) => walkSignIn(agent, authorizationUrl, answers);

/**
 * Authenticator-app accounts, each leased to one flow at a time. A code (time step) is accepted
 * once per app and only later than the last one used, within ±1 step of the server's clock, so
 * one account gives at most 3 sign-ins in its first 30 s (steps now-1, now, now+1) and then one
 * per 30 s. Virtual users therefore never share an account at once, each flow takes a free
 * account that still has a step to give (the step one later than its last, or the earliest the
 * server accepts), and the pool is seeded large enough for the argon2 limit over the whole run
 * (bench/run.ts): no code collides and no flow waits for a step. If one ever had to wait, the
 * wait is counted in `waitedMs` and reported.
 */
export class TotpPool {
  private readonly free: { email: string; secret: string; last: number }[];
  waitedMs = 0;

  constructor(accounts: SeededAccount[]) {
    this.free = accounts.map(({ email, secret }) => {
      if (!secret) throw new Error(`${email} has no authenticator app`);
      return { email, secret, last: -Infinity };
    });
  }

  /** Codes one account gives over `seconds` from its first use. */
  static codesPerAccount(seconds: number): number {
    return 3 + Math.floor(seconds / 30);
  }

  private async lease(): Promise<{ email: string; secret: string; last: number }> {
    let waitedSince: number | undefined;
    for (;;) {
      const now = totpStep(Date.now());
      // The one with the oldest last step: fresh accounts (three codes) first, then spent ones as their steps come round.
      let best = -1;
      for (let i = 0; i < this.free.length; i += 1) {
        if (this.free[i]!.last <= now && (best < 0 || this.free[i]!.last < this.free[best]!.last)) best = i;
      }
      if (best >= 0) {
        if (waitedSince !== undefined) this.waitedMs += performance.now() - waitedSince;
        return this.free.splice(best, 1)[0]!;
      }
      waitedSince ??= performance.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** One password + authenticator-app code flow (argon2 once, then the code). */
  async flow(issuer: string): Promise<void> {
    const account = await this.lease();
    try {
      await codeFlow(issuer, new UserAgent(httpFetch), steps({
        signIn: (agent, page, csrf) => agent.postForm(new URL(`${page.pathname}/login`, page.origin), { _csrf: csrf, email: account.email, password: USER.password }),
        secondFactor: (agent, page, csrf) => {
          // Read from the app as the form is filled in: the earliest step the server still takes
          // and this app has not given (the previous step only with 5 s of the current one left).
          const nowMs = Date.now();
          const earliest = totpStep(nowMs) - (nowMs % 30_000 < 25_000 ? 1 : 0);
          account.last = Math.max(account.last + 1, earliest);
          return agent.postForm(new URL(`${page.pathname}/totp`, page.origin), { _csrf: csrf, code: totpCodeAt(account.secret, account.last * 30_000) });
        },
      }));
    } finally {
      this.free.push(account);
    }
  }
}

/**
 * A passkey for `account`, registered the way the account page's passkey.js does: signed in with
 * the password (a fresh sign-in is the recent authentication it needs), /account/security for the
 * CSRF token, the creation options, the software authenticator's answer.
 */
export async function registerPasskey(issuer: string, account: SeededAccount): Promise<SoftAuthenticator> {
  const agent = new UserAgent(httpFetch);
  await codeFlow(issuer, agent, passwordSignIn({ email: account.email, password: USER.password }));
  const csrf = csrfTokenIn(await (await agent.get(`${issuer}/account/security`)).text());
  const options = await (await agent.postForm(`${issuer}/account/security/passkey/options`, { _csrf: csrf })).json() as Parameters<SoftAuthenticator['register']>[0];
  const authenticator = new SoftAuthenticator(issuer);
  const registered = await agent.postForm(`${issuer}/account/security/passkey`, { _csrf: csrf, name: 'Bench passkey', credential: JSON.stringify(authenticator.register(options)) });
  if (registered.status !== 200) throw new Error(`passkey registration for ${account.email} answered ${registered.status}`);
  return authenticator;
}

/**
 * One passwordless flow: the sign-in page's passkey form (request options with no account named,
 * the authenticator's assertion), then consent and the code exchange. No argon2 anywhere.
 */
export function passkeyFlow(issuer: string, authenticator: SoftAuthenticator): Promise<unknown> {
  return codeFlow(issuer, new UserAgent(httpFetch), steps({
    signIn: async (agent, page, csrf) => {
      const options = await agent.postForm(new URL(`${page.pathname}/passkey/options`, page.origin), { _csrf: csrf });
      if (options.status !== 200) throw new Error(`passkey options answered ${options.status}`);
      const assertion = authenticator.authenticate(await options.json() as Parameters<SoftAuthenticator['authenticate']>[0]);
      return agent.postForm(new URL(`${page.pathname}/passkey`, page.origin), { _csrf: csrf, credential: JSON.stringify(assertion) });
    },
  }));
}
