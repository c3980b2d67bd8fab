import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are secrets wherever they appear in a log object (DESIGN.md,
 * Conventions 6). pino's redaction works on paths, so each name is listed at the top level
 * and one and two levels down.
 */
const SECRET_FIELDS = [
  'password', 'newPassword', 'currentPassword', 'passwordHash', 'password_hash',
  'client_secret', 'clientSecret', 'secret', 'secrets', 'cookieSecrets',
  'code_verifier', 'access_token', 'refresh_token', 'id_token', 'token', 'assertion',
  'authorization', 'cookie', 'set-cookie', 'privateJwk', 'privateKey', 'csrf', '_csrf',
];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const dotted = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${dotted}`, `*.*${dotted}`];
}).concat(
  // `code` is an authorization code only inside request parameters; elsewhere (err.code)
  // it is a useful error code, so it is redacted by location rather than by name.
  ['query', 'body', 'params'].flatMap((holder) => [`${holder}.code`, `*.${holder}.code`]),
);

export interface LoggerOptions {
  level: string;
  pretty: boolean;
}

/** The one pino root; modules get `root.child({ module })`, requests `child({ reqId })`. */
export function createRootLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  const base = {
    level: options.level,
    base: { service: 'keyward' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(base, destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'service' } } });
  }
  return pino(base);
}
