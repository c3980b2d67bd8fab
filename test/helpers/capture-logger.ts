import { Writable } from 'node:stream';
import { createRootLogger, type Logger } from '../../src/logger/logger.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
  /** Every line written so far, raw. */
  text(): string;
}

/** A real pino root (with Keyward's redaction) writing into memory. */
export function captureLogger(level = 'debug'): CapturedLogs {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createRootLogger({ level, pretty: false }, sink);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () => text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
