import { translator, type Catalogs, type Locale, type MessageParams } from '../lib/i18n.ts';
import type { Mailer } from './mail.service.ts';

/**
 * The mails Keyward sends about an account, in plain text, in the language of the request that
 * caused them (else DEFAULT_LOCALE). The outbox stores finished text, so they are translated here.
 */
export function createAccountMail(deps: { mailer: Mailer; issuer: string; productName: string; verificationTtlSeconds: number; catalogs: Catalogs; defaultLocale: Locale }) {
  const { mailer, issuer, productName } = deps;
  const hours = (seconds: number) => Math.max(1, Math.round(seconds / 3600));
  const tr = (locale: Locale | undefined) => translator(deps.catalogs, locale ?? deps.defaultLocale);
  return {
    /** For the other services that write mail (email-change.service.ts): the same catalogs and fallback. */
    translate: tr,
    verifyEmail(to: string, token: string, locale?: Locale) {
      const t = tr(locale);
      const link = `${issuer}/verify-email?token=${token}`;
      return mailer.send({
        to, link,
        subject: t('mail.verifyEmail.subject', { productName }),
        text: t('mail.verifyEmail.text', { link, hours: hours(deps.verificationTtlSeconds) }),
      });
    },
    /**
     * Someone registered an address that has an account. A confirmed account: a way to sign in.
     * An unconfirmed one: whoever started it never proved the address, so the owner gets a link
     * to choose their own password (a reset link), never one that would confirm a password
     * somebody else chose (account pre-takeover).
     */
    accountExists(to: string, setPasswordToken: string | undefined, locale?: Locale) {
      const t = tr(locale);
      const link = setPasswordToken ? `${issuer}/reset-password?token=${setPasswordToken}` : `${issuer}/forgot-password`;
      return mailer.send({
        to, link,
        subject: t('mail.accountExists.subject', { productName }),
        text: t(setPasswordToken ? 'mail.accountExists.unconfirmed' : 'mail.accountExists.confirmed', { link }),
      });
    },
    unprovenAccessRemoved(to: string, upstreams: string[], factors: number, signedOut: boolean, locale?: Locale) {
      const t = tr(locale);
      const removed = [
        ...upstreams.map((upstream) => t('mail.unprovenAccessRemoved.upstream', { upstream })),
        ...(factors > 0 ? [t(factors === 1 ? 'mail.unprovenAccessRemoved.factorsOne' : 'mail.unprovenAccessRemoved.factorsMany', { count: factors })] : []),
        ...(signedOut ? [t('mail.unprovenAccessRemoved.sessions')] : []),
      ].map((line) => `- ${line}`).join('\n');
      return mailer.send({
        to,
        subject: t('mail.unprovenAccessRemoved.subject', { productName }),
        text: t('mail.unprovenAccessRemoved.text', { removed }),
      });
    },
    /** Every change to how the account signs in is told to its owner, who can react if it was not them. */
    securityChanged(to: string, change: { key: string; params?: MessageParams }, locale?: Locale) {
      const t = tr(locale);
      return mailer.send({
        to,
        subject: t('mail.securityChanged.subject', { productName }),
        text: t('mail.securityChanged.text', { change: t(change.key, change.params), url: `${issuer}/account/security` }),
      });
    },
    recoveryCodeUsed(to: string, remaining: number, locale?: Locale) {
      const t = tr(locale);
      return mailer.send({
        to,
        subject: t('mail.recoveryCodeUsed.subject', { productName }),
        text: t(remaining === 1 ? 'mail.recoveryCodeUsed.textOne' : 'mail.recoveryCodeUsed.textMany', { count: remaining, url: `${issuer}/account/security` }),
      });
    },
    resetPassword(to: string, token: string, locale?: Locale) {
      const t = tr(locale);
      const link = `${issuer}/reset-password?token=${token}`;
      return mailer.send({
        to, link,
        subject: t('mail.resetPassword.subject', { productName }),
        text: t('mail.resetPassword.text', { link }),
      });
    },
  };
}

export type AccountMail = ReturnType<typeof createAccountMail>;
