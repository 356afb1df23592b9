/**
 * The database could not answer: it is down, unreachable, overloaded or timed out. Callers
 * answer 503 and may retry; nothing was committed by the statement that failed.
 */
export class DatabaseUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super('The database is unavailable', options);
    this.name = 'DatabaseUnavailableError';
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * SQLSTATE classes that say the server could not do the work, not that the statement was
 * wrong: 08 connection exception, 53 insufficient resources, 57 operator intervention
 * (57014 is a statement timeout), 58 system error.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

/**
 * Keeps an error the server reported about the statement (a constraint, a syntax error);
 * turns anything else from the driver (a lost connection, a refused one, a timeout) into
 * DatabaseUnavailableError.
 */
export function classifyDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError) return err;
  const { code, syscall } = (err ?? {}) as { code?: unknown; syscall?: unknown };
  // A socket's own errors carry the system call that failed, and some of their codes
  // (EPIPE, EBUSY) are five capitals too: those are the network, not the statement.
  const fromServer = typeof code === 'string' && SQLSTATE.test(code) && syscall === undefined;
  if (fromServer && !UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return err;
  return new DatabaseUnavailableError({ cause: err });
}
