import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logger/logger.ts';
import { randomToken } from '../lib/ids.ts';
import { makePrivateDirectory, widerThanPrivate } from '../lib/private-files.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** The one link the mail is about, for the development log line. */
  link?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/**
 * Mail through nodemailer (SMTP_URL). With a mail directory (development), each mail is
 * also written there as a file and its link logged, so a newcomer can finish registration
 * without a mail server. Without SMTP (development only), the directory is the only outlet.
 */
export function createMailer(options: { smtpUrl: string | undefined; from: string; directory: string | undefined; logLinks?: boolean }, logger: Logger): Mailer {
  const log = logger.child({ module: 'mail' });
  // Bounded well inside the outbox's 60-s lease (nodemailer waits up to 10 minutes on a silent
  // socket by default), so that a slow server cannot make another replica send the mail again.
  const transport = options.smtpUrl
    ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as Parameters<typeof nodemailer.createTransport>[0])
    : undefined;
  // Mails carry one-time verification and reset links: 0700 when Keyward makes the folder, a warning at start otherwise.
  const wideMode = options.directory ? widerThanPrivate(options.directory) : undefined;
  if (wideMode) log.warn({ directory: options.directory, mode: wideMode }, 'the mail folder is open to group or others: chmod 700 it');
  return {
    async send(mail) {
      if (options.directory) {
        await makePrivateDirectory(options.directory);
        const file = join(options.directory, `${new Date().toISOString().replaceAll(':', '-')}-${randomToken(4)}.txt`);
        await writeFile(file, `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`, { mode: 0o600 });
        // A live verification or reset link in a log is a credential in a log: development only.
        const link = options.logLinks ? (mail.link ?? /https?:\/\/\S+/.exec(mail.text)?.[0]) : undefined;
        log.info({ file, subject: mail.subject, ...(link ? { link } : {}) }, 'mail written to the development mail folder');
      }
      if (transport) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text });
      } else if (!options.directory) {
        log.warn({ subject: mail.subject }, 'no SMTP_URL and no MAIL_DIRECTORY: mail dropped');
      }
    },
  };
}
