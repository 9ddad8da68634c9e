/** Persistent-storage requests, so the browser does not evict the catalog under storage pressure. */

interface StorageLike {
  persist?: () => Promise<boolean>;
  persisted?: () => Promise<boolean>;
}

function storageManager(): StorageLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageLike } }).navigator?.storage;
}

/**
 * Asks for persistent storage where that can be asked (`persist()` exists on the main thread
 * only), otherwise reports the current state; null where neither exists (Node, old browsers).
 */
export async function requestPersistentStorage(): Promise<boolean | null> {
  const storage = storageManager();
  try {
    if (typeof storage?.persist === 'function') return await storage.persist();
    if (typeof storage?.persisted === 'function') return await storage.persisted();
  } catch {
    // Some browsers reject in private mode: treat as "not persisted".
    return false;
  }
  return null;
}
