import type { Clock } from '../lib/clock.ts';
import { randomToken } from '../lib/ids.ts';
import type { Logger } from '../logger/logger.ts';
import type { MailOutboxStore, OutboxMail } from '../stores/types.ts';
import type { Mailer } from './mail.service.ts';

/** A worker holds a mail this long; if it dies meanwhile, another worker sends it. */
const LEASE_MS = 60_000;
const BATCH = 10;
/** Attempts before a mail is given up: with the backoff below, about a day and a half of retries. */
export const MAX_ATTEMPTS = 12;
const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** (attempts - 1), 6 * 3600_000);

export interface MailOutbox extends Mailer {
  /** Sends every mail that is due now; resolves when this process has nothing left in hand. */
  drain(): Promise<void>;
  /** Starts polling for due mails (retries, and mails another replica stored). */
  start(): void;
  /** Stops polling and waits for the delivery in progress; undelivered mails stay stored. */
  stop(): Promise<void>;
}

/**
 * The mailer requests use: it stores the mail and returns (no SMTP round trip inside the
 * request, so a reset request for a real account answers as fast as one for an unknown
 * address), then delivers it right after and retries with backoff. Every replica drains the
 * same outbox; leases keep two from sending one mail.
 */
export function createMailOutbox(deps: { store: MailOutboxStore; transport: Mailer; clock: Clock; logger: Logger; pollIntervalMs?: number }): MailOutbox {
  const { store, transport, clock } = deps;
  const log = deps.logger.child({ module: 'mail-outbox' });
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const deliver = async (mail: OutboxMail) => {
    try {
      await transport.send({ to: mail.to, subject: mail.subject, text: mail.text });
      await store.complete(mail.id);
    } catch (error) {
      const giveUp = mail.attempts >= MAX_ATTEMPTS;
      await store.fail(mail.id, mail.leaseUntil, giveUp ? undefined : clock.now() + backoffMs(mail.attempts), (error as Error).message ?? String(error));
      // The recipient is personal data and the body holds a live link: neither is logged.
      log[giveUp ? 'error' : 'warn']({ mailId: mail.id, attempts: mail.attempts, err: error }, giveUp ? 'mail given up after repeated failures' : 'mail delivery failed; will retry');
    }
  };
  const drainOnce = async () => {
    for (let batch = await store.claim(BATCH, LEASE_MS); batch.length > 0; batch = await store.claim(BATCH, LEASE_MS)) {
      for (const mail of batch) await deliver(mail);
    }
  };
  // One drain at a time in this process; a caller of drain() waits for the one under way too.
  const drain = () => (running = running.then(drainOnce).catch((error: unknown) => log.warn({ err: error }, 'draining the mail outbox failed')));

  return {
    async send(mail) {
      await store.enqueue({ id: randomToken(16), to: mail.to, subject: mail.subject, text: mail.text });
      setImmediate(() => void drain());
    },
    drain,
    start() {
      timer ??= setInterval(() => void drain(), deps.pollIntervalMs ?? 5000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
