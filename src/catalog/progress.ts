/** Progress of a catalog sync or load, for a progress bar. */
export interface SyncProgress {
  readonly phase: 'fetch' | 'parse' | 'embed' | 'store' | 'done';
  /** Items in the body (known after parsing; 0 before). */
  readonly total: number;
  readonly parsed: number;
  readonly embedded: number;
  readonly stored: number;
}

/** Receives progress events; may be a comlink proxy (its returned promise is ignored). */
export type ProgressListener = (progress: SyncProgress) => unknown;

/** Calls a listener without letting it fail or slow the sync (a remote proxy returns a promise). */
export function report(listener: ProgressListener | undefined, progress: SyncProgress): void {
  if (listener === undefined) return;
  try {
    const out = listener(progress);
    if (out instanceof Promise) out.catch(() => undefined);
  } catch {
    // A broken progress bar must not break the sync.
  }
}
