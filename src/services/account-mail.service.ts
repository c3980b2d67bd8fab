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
    accountExists(to: string, verificationToken: string | undefined) {
      const signIn = verificationToken ? `${issuer}/verify-email?token=${verificationToken}` : `${issuer}/forgot-password`;
      return mailer.send({
        to, link: signIn,
        subject: `You already have a ${productName} account`,
        text: verificationToken
          ? `Someone (hopefully you) tried to create an account with this email. You already have one; confirm your email with this link:\n\n${signIn}\n`
          : `Someone (hopefully you) tried to create an account with this email. You already have one. Sign in, or if you forgot your password, reset it here:\n\n${signIn}\n\nIf it was not you, ignore this mail.`,
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
