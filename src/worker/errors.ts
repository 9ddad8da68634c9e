/** Errors of the engine worker's boundary. */

/** The page sent a request the worker cannot take; the message names the field and the fix. */
export class WorkerRequestError extends Error {
  override readonly name = 'WorkerRequestError';
}
