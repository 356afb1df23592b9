/**
 * An error meant for the caller of a management route: its status, a stable code and a
 * message a person can act on. Anything else that escapes a handler is answered as a bare
 * 500 (or 503 when the database is unreachable) with no internals.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string) => new AppError(400, 'invalid_request', message);
export const notFound = (message: string) => new AppError(404, 'not_found', message);
