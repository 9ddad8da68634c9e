/**
 * Per-client counters held in memory (keyed by the hashed client key of client-address.ts):
 * a bounded map that forgets the least recently seen client first, and a quota per window
 * (a federated round, a UTC day) whose counts are dropped when the window moves on. Bounded so
 * that many addresses cannot exhaust the server's memory; a client evicted by that bound starts
 * afresh, which only someone already holding more addresses than the bound can cause.
 */

/** Clients remembered at once by default (≈ 100 bytes each). */
export const DEFAULT_MAX_CLIENTS = 200_000;

/** A Map that keeps at most `max` entries, evicting the least recently set one. */
export class LruMap<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly max: number = DEFAULT_MAX_CLIENTS) {}

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Sets `key` as the most recent entry, evicting the oldest beyond `max`. */
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** A per-client allowance of `limit` units per window. */
export interface WindowQuota {
  /** Units the client may still use in `window`. */
  remaining(key: string, window: string): number;
  /** Records `units` used by the client in `window`. */
  use(key: string, window: string, units: number): void;
}

/** Creates a quota of `limit` units per client per window (only the current window is kept). */
export function windowQuota(limit: number, maxClients = DEFAULT_MAX_CLIENTS): WindowQuota {
  const used = new LruMap<number>(maxClients);
  let current: string | null = null;
  const roll = (window: string) => {
    if (window === current) return;
    used.clear();
    current = window;
  };
  return {
    remaining(key, window) {
      roll(window);
      return Math.max(0, limit - (used.get(key) ?? 0));
    },
    use(key, window, units) {
      roll(window);
      used.set(key, (used.get(key) ?? 0) + units);
    },
  };
}
