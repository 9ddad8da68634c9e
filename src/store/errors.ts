/** Named errors of the IndexedDB store. */

/** Message texts. */
export const STORE_MESSAGES = {
  quota:
    'Storage quota exceeded while saving; nothing of this write was kept and the previous data is intact. Free space (clear other site data) or allow persistent storage, then try again.',
  unavailable: 'IndexedDB is not available in this context (private mode or an old browser?)',
} as const;

/** A write hit the storage quota; its transaction was aborted, so earlier data is intact. */
export class StoreQuotaError extends Error {
  override readonly name = 'StoreQuotaError';
  constructor(cause: unknown) {
    super(STORE_MESSAGES.quota, { cause });
  }
}

/** True when an error (a DOMException, an idb rejection, or one wrapping it) is a quota error. */
export function isQuotaError(error: unknown, depth = 0): boolean {
  if (error instanceof StoreQuotaError) return true;
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { name, cause } = error as { name?: unknown; cause?: unknown };
  return name === 'QuotaExceededError' || (cause !== undefined && isQuotaError(cause, depth + 1));
}
