/**
 * One error contract for Keyward's own code, the same shape koa and oidc-provider use
 * (`status`, `expose`, a stable machine-readable `code`). Only exposed errors show their
 * message to clients; the rest are answered with a generic message and the request id.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, message: string, options: { status?: number; expose?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? this.status < 500;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'invalid_request') {
    super(code, message, { status: 400 });
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'The page you asked for does not exist.') {
    super('not_found', message, { status: 404 });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable. Try again shortly.', cause?: unknown) {
    super('temporarily_unavailable', message, { status: 503, expose: true, cause });
  }
}

/** The store cannot be reached or cannot write just now: 503, and the caller may retry. */
export class StoreUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('temporarily_unavailable', 'The service is temporarily unavailable. Try again in a moment.', { status: 503, expose: true, cause });
  }
}

/** The sign-in or consent step expired or was never started in this browser. */
export class InteractionExpiredError extends AppError {
  constructor(cause?: unknown) {
    super('interaction_expired', 'This sign-in request has expired or was opened in another browser. Go back to the application and start again.', {
      status: 400,
      cause,
    });
  }
}

export class CsrfError extends AppError {
  constructor() {
    super('invalid_csrf_token', 'The form was stale or did not come from this site. Reload the page and try again.', { status: 403 });
  }
}

/** A problem that stops Keyward from starting; main prints its message as one line, no stack. */
export class StartupError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('startup_failed', message, { status: 500, expose: false, cause });
  }
}

/** Every configuration problem, collected so the operator can fix them in one go. */
export class ConfigError extends StartupError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}
