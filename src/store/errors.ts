// Errors a store raises that callers may answer specially.

/** A concurrent writer (another replica) won a race: nothing was written; the client may retry shortly. */
export class StoreConflictError extends Error {
  readonly retryAfterSeconds = 1;
}
