/**
 * The privacy ledger: every release leaving the device is recorded with its privacy cost, and a
 * release is refused when it would push the spend over the daily or lifetime cap.
 * Pure ε (LDP reports) composes by summation; Gaussian updates are accounted as zCDP ρ = 1/(2z²)
 * per release (Bun & Steinke 2016, "Concentrated Differential Privacy", TCC; equivalent to the
 * Gaussian RDP curve α·ρ of Mironov 2017), summed, then converted to (ε, δ) at the ledger's δ
 * (see rdp.ts). Total ε = pure ε + ε(ρ, δ) by basic composition.
 */
import { BudgetExceededError } from './errors.ts';
import { rhoToEpsilon } from './rdp.ts';

/**
 * What a ledger row is about: an LDP telemetry batch, a model update, a request made with consent,
 * or a download of public data (no consent needed, ε 0).
 */
export type LedgerKind = 'telemetry' | 'update' | 'request' | 'download';

/**
 * One row; the shape of the `ledger` IndexedDB store plus two optional fields:
 * `rho` (zCDP of a Gaussian release, absent for pure-ε rows) and `url`.
 */
export interface LedgerEntry {
  readonly id?: number;
  readonly at: number;
  readonly kind: LedgerKind;
  /** Pure ε of the release; for Gaussian rows its standalone ε at `delta`, for display. */
  readonly epsilon: number;
  readonly delta: number;
  readonly bytes: number;
  readonly summary: string;
  readonly rho?: number;
  readonly url?: string;
}

/** Where rows are kept: IndexedDB in the browser (ledger-idb.ts), memory in tests and Node. */
export interface LedgerStorage {
  append(entry: LedgerEntry): Promise<number>;
  list(sinceMs?: number): Promise<LedgerEntry[]>;
  clear(): Promise<void>;
}

/** Daily (rolling 24 h) and lifetime ε caps and the δ at which Gaussian spend is converted. */
export interface LedgerCaps {
  readonly dailyEpsilon: number;
  readonly lifetimeEpsilon: number;
  readonly delta: number;
}

/** Defaults: 8 ε per rolling day, 64 ε per lifetime of the local store, δ = 1e-6. */
export const DEFAULT_CAPS: LedgerCaps = { dailyEpsilon: 8, lifetimeEpsilon: 64, delta: 1e-6 };

/** The privacy cost of one prospective release. */
export interface PrivacyCost {
  /** Pure ε (LDP); 0 if none. */
  readonly epsilon: number;
  /** zCDP ρ of Gaussian releases; 0 if none. */
  readonly rho: number;
}

/** Spend over a window: pure ε, Gaussian ρ, and their combined ε at the ledger's δ. */
export interface Spend {
  readonly pureEpsilon: number;
  readonly rho: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly bytes: number;
  readonly releases: number;
}

/** Answer of canSpend: allowed, or refused with a readable reason. */
export type SpendDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The ledger API used by the gate and exposed to the privacy panel. */
export interface Ledger {
  readonly caps: LedgerCaps;
  canSpend(cost: PrivacyCost): Promise<SpendDecision>;
  /** Appends a row; throws BudgetExceededError (and stores nothing) if its cost exceeds a cap. */
  record(entry: Omit<LedgerEntry, 'id'>): Promise<LedgerEntry>;
  spent(): Promise<{ daily: Spend; lifetime: Spend }>;
  entries(sinceMs?: number): Promise<LedgerEntry[]>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Sums the rows into a Spend at δ. */
export function summarizeSpend(rows: readonly LedgerEntry[], delta: number): Spend {
  let pure = 0;
  let rho = 0;
  let bytes = 0;
  let releases = 0;
  for (const row of rows) {
    bytes += row.bytes;
    if (row.rho !== undefined) rho += row.rho;
    else pure += row.epsilon;
    if (row.rho !== undefined || row.epsilon > 0) releases += 1;
  }
  const gaussianEps = rho > 0 ? rhoToEpsilon(rho, delta) : 0;
  return {
    pureEpsilon: pure,
    rho,
    epsilon: pure + gaussianEps,
    delta: rho > 0 ? delta : 0,
    bytes,
    releases,
  };
}

function costOf(entry: Omit<LedgerEntry, 'id'>): PrivacyCost {
  return entry.rho !== undefined
    ? { epsilon: 0, rho: entry.rho }
    : { epsilon: entry.epsilon, rho: 0 };
}

/** Creates a ledger over injected storage; `now` is injected so tests control the clock. */
export function createLedger(options: {
  storage: LedgerStorage;
  caps?: Partial<LedgerCaps>;
  now?: () => number;
}): Ledger {
  const caps: LedgerCaps = { ...DEFAULT_CAPS, ...options.caps };
  const now = options.now ?? Date.now;
  const { storage } = options;
  // Serialises check-and-append so two concurrent releases cannot both pass the cap check.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = chain.then(task, task);
    chain = next.catch(() => undefined);
    return next;
  };

  const decide = async (cost: PrivacyCost): Promise<SpendDecision> => {
    const t = now();
    const all = await storage.list();
    const check = (rows: LedgerEntry[], cap: number, label: string): string | null => {
      const s = summarizeSpend(rows, caps.delta);
      const rho = s.rho + cost.rho;
      const eps = s.pureEpsilon + cost.epsilon + (rho > 0 ? rhoToEpsilon(rho, caps.delta) : 0);
      return eps > cap + 1e-12
        ? `${label} ε would be ${eps.toFixed(3)} > cap ${cap} (δ = ${caps.delta})`
        : null;
    };
    const reason =
      check(
        all.filter((r) => r.at > t - DAY_MS),
        caps.dailyEpsilon,
        'daily',
      ) ?? check(all, caps.lifetimeEpsilon, 'lifetime');
    return reason === null ? { ok: true } : { ok: false, reason };
  };

  return {
    caps,
    canSpend: (cost) => serial(() => decide(cost)),
    record: (entry) =>
      serial(async () => {
        const decision = await decide(costOf(entry));
        if (!decision.ok) throw new BudgetExceededError(decision.reason);
        const id = await storage.append(entry);
        return { ...entry, id };
      }),
    spent: async () => {
      const all = await storage.list();
      const t = now();
      return {
        daily: summarizeSpend(
          all.filter((r) => r.at > t - DAY_MS),
          caps.delta,
        ),
        lifetime: summarizeSpend(all, caps.delta),
      };
    },
    entries: (sinceMs) => storage.list(sinceMs),
  };
}

/** In-memory storage (tests, Node, the simulation). */
export function createMemoryLedgerStorage(): LedgerStorage {
  let rows: LedgerEntry[] = [];
  let nextId = 1;
  return {
    append: async (entry) => {
      const id = nextId++;
      rows.push({ ...entry, id });
      return id;
    },
    list: async (sinceMs) => rows.filter((r) => sinceMs === undefined || r.at >= sinceMs),
    clear: async () => {
      rows = [];
    },
  };
}
