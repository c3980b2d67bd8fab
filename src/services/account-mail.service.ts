import type { Mailer } from './mail.service.ts';

/** The mails Keyward sends about an account, in plain text. */
export function createAccountMail(deps: { mailer: Mailer; issuer: string; productName: string; verificationTtlSeconds: number }) {
  const { mailer, issuer, productName } = deps;
  const hours = (seconds: number) => Math.max(1, Math.round(seconds / 3600));
  return {
    verifyEmail(to: string, token: string) {
      const link = `${issuer}/verify-email?token=${token}`;
      return mailer.send({
        to, link,
        subject: `Confirm your email for ${productName}`,
        text: `Confirm your email address by opening this link:\n\n${link}\n\nIt works once and expires in ${hours(deps.verificationTtlSeconds)} hours. If you did not create an account, ignore this mail.`,
      });
    },
    /**
     * Someone registered an address that has an account. A confirmed account: a way to sign in.
     * An unconfirmed one: whoever started it never proved the address, so the owner gets a link
     * to choose their own password (a reset link), never one that would confirm a password
     * somebody else chose (account pre-takeover).
     */
    accountExists(to: string, setPasswordToken: string | undefined) {
      const link = setPasswordToken ? `${issuer}/reset-password?token=${setPasswordToken}` : `${issuer}/forgot-password`;
      return mailer.send({
        to, link,
        subject: `You already have a ${productName} account`,
        text: setPasswordToken
          ? `Someone (hopefully you) tried to create an account with this email. An account with it was started but never confirmed. To make it yours, choose your password with this link (it confirms your email; any earlier password stops working and anything signed in before is signed out):\n\n${link}\n\nIt works once and expires in 30 minutes.`
          : `Someone (hopefully you) tried to create an account with this email. You already have one. Sign in, or if you forgot your password, reset it here:\n\n${link}\n\nIf it was not you, ignore this mail.`,
      });
    },
    unprovenAccessRemoved(to: string, upstreams: string[], factors: number, signedOut: boolean) {
      const removed = [
        ...upstreams.map((upstream) => `- the sign-in through ${upstream} that was linked to it`),
        ...(factors > 0 ? [`- ${factors} passkey${factors === 1 ? '' : 's'} or authenticator app${factors === 1 ? '' : 's'} added to it, and its recovery codes`] : []),
        ...(signedOut ? ['- every session and app access granted before'] : []),
      ].join('\n');
      return mailer.send({
        to,
        subject: `Your ${productName} account is now confirmed`,
        text: `You proved this email address is yours. Before that, the account was not confirmed, so we removed what was attached to it without that proof:\n\n${removed}\n\nIf one of these was yours, sign in and link it again.`,
      });
    },
    /** Every change to how the account signs in is told to its owner, who can react if it was not them. */
    securityChanged(to: string, change: string) {
      return mailer.send({
        to,
        subject: `Sign-in settings of your ${productName} account changed`,
        text: `${change}\n\nIf this was you, there is nothing to do. If it was not, reset your password now and review your passkeys and authenticator apps at ${issuer}/account/security.`,
      });
    },
    recoveryCodeUsed(to: string, remaining: number) {
      return mailer.send({
        to,
        subject: `A recovery code was used to sign in to ${productName}`,
        text: `Someone signed in to your account with one of your recovery codes. ${remaining} unused code${remaining === 1 ? ' is' : 's are'} left; you can make new ones at ${issuer}/account/security.\n\nIf this was not you, reset your password now.`,
      });
    },
    resetPassword(to: string, token: string) {
      const link = `${issuer}/reset-password?token=${token}`;
      return mailer.send({
        to, link,
        subject: `Reset your ${productName} password`,
        text: `Choose a new password with this link:\n\n${link}\n\nIt works once and expires in 30 minutes. Resetting signs you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is.`,
      });
    },
  };
}

export type AccountMail = ReturnType<typeof createAccountMail>;
