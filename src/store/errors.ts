// Errors a store raises that callers may answer specially.

/** A concurrent writer (another replica) won a race: nothing was written; the client may retry shortly. */
export class StoreConflictError extends Error {
  readonly retryAfterSeconds = 1;
}

/** The DeviceID is enrolled to another principal (EnrollmentStore.recordEnrollment): nothing was written. */
export class DeviceHeldError extends Error {
  readonly devicePk: string;
  constructor(devicePk: string) {
    super('the device is enrolled to another account');
    this.devicePk = devicePk;
    this.name = 'DeviceHeldError';
  }
}

/**
 * The database cannot serve right now (connection refused or reset, no answer in time, disk full,
 * I/O error): nothing was written; the client should retry later.
 */
export class StoreUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

// SQLite result codes (better-sqlite3's err.code, extended codes included: SQLITE_IOERR_WRITE…)
// and PostgreSQL SQLSTATE classes that mean "the database is unavailable", not "this request is wrong".
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL)/;
// 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown,
// statement_timeout 57014), 58 system error; and Node's socket errors.
const PG_UNAVAILABLE = /^(08|53|57|58)...$|^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/;
const PG_CLIENT_MESSAGES =
  /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/** Whether `err` says the database is unavailable (the request may succeed later), whatever the backend. */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.test(code))) return true;
  return PG_CLIENT_MESSAGES.test(err.message);
}

/** `err` as a StoreUnavailableError when it is one of those, else unchanged. */
export function asUnavailable(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isStoreUnavailable(err)) return err;
  return new StoreUnavailableError(`database unavailable: ${(err as Error).message}`, { cause: err });
}

/** A content upload went past its size limit: nothing was kept. */
export class ContentTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`content is larger than the limit of ${limit} bytes`);
    this.name = 'ContentTooLargeError';
    this.limit = limit;
  }
}

/** A content upload's SHA-256 is not the one pinned: nothing was kept. */
export class ContentHashMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(`content SHA-256 is ${actual}, expected ${expected}`);
    this.name = 'ContentHashMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** No content stored under that SHA-256 (or not a lower-case hex SHA-256 at all). */
export class ContentNotFoundError extends Error {
  readonly sha256: string;
  constructor(sha256: string) {
    super(`no content ${sha256.slice(0, 64)}`);
    this.name = 'ContentNotFoundError';
    this.sha256 = sha256;
  }
}
