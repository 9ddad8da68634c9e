/**
 * The privacy ledger: every release leaving the device is recorded with its privacy cost, and a
 * release is refused when it would push the spend over the daily or lifetime cap.
 * Pure ε (LDP reports) composes by summation; Gaussian updates are accounted as zCDP ρ = 1/(2z²)
 * per release (Bun & Steinke 2016, "Concentrated Differential Privacy", TCC; equivalent to the
 * Gaussian RDP curve α·ρ of Mironov 2017), summed, then converted to (ε, δ) at the ledger's δ
 * (see rdp.ts). Total ε = pure ε + ε(ρ, δ) by basic composition.
 *
 * Check and append are one atomic step of the injected storage (`appendIf`), which also reads the
 * visitor's stored consent in that step: in the browser, one IndexedDB readwrite transaction over
 * the `ledger` and `meta` stores, which IndexedDB serialises across every tab and worker of the
 * origin. Costs are validated first: a NaN or negative ε, δ, ρ or byte count is refused.
 */
import {
  AlreadyReleasedError,
  BudgetExceededError,
  ConsentRequiredError,
  InvalidCostError,
} from './errors.ts';
import { rhoToEpsilon } from './rdp.ts';

/**
 * What a ledger row is about: an LDP telemetry batch, a model update, a secure-aggregation (DAP)
 * report, a request made with consent, or a download of public data (no consent needed, ε 0).
 */
export type LedgerKind = 'telemetry' | 'update' | 'dap-report' | 'request' | 'download';

/** Every ledger kind, for the schemas that read rows back from storage. */
export const LEDGER_KINDS = [
  'telemetry',
  'update',
  'dap-report',
  'request',
  'download',
] as const satisfies readonly LedgerKind[];

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

/**
 * What the storage reads in one atomic step: every row, the visitor's stored consent and, when the
 * release carries a `once` key, whether a release was already recorded under it.
 */
export interface LedgerState {
  readonly rows: readonly LedgerEntry[];
  readonly consent: boolean;
  /** True when the `once` key of this append is already taken (false without a key). */
  readonly released: boolean;
}

/** Why the ledger refused a release. */
export type LedgerRefusal =
  | { readonly kind: 'consent' }
  | { readonly kind: 'cap'; readonly reason: string }
  | { readonly kind: 'once'; readonly key: string };

/** What `decide` tells the storage to do: refuse, or append the entry and delete `prune` rows. */
export type AppendPlan = { readonly refuse: LedgerRefusal } | { readonly prune: readonly number[] };

/**
 * Where rows and the consent choice are kept: IndexedDB in the browser (src/store/ledger-store.ts),
 * memory in tests, Node and the simulation.
 */
export interface LedgerStorage {
  /**
   * Reads the state, calls `decide` (synchronously) and, unless it refuses, appends `entry` and
   * deletes the `prune` rows — all as ONE atomic step across every context (tab, worker) that
   * shares this storage, so two contexts can never both pass a cap or a consent check that only
   * one of them should pass. With `once`, the step also reads whether that key is taken
   * (`state.released`) and, when it appends, takes it. Resolves to the new row's id, or the refusal.
   */
  appendIf(
    entry: Omit<LedgerEntry, 'id'>,
    decide: (state: LedgerState) => AppendPlan,
    once?: string,
  ): Promise<{ readonly id: number } | { readonly refuse: LedgerRefusal }>;
  list(sinceMs?: number): Promise<LedgerEntry[]>;
  /** Whether a release was recorded under the `once` key `key` (advisory: `appendIf` decides). */
  isReleased(key: string): Promise<boolean>;
  /** Deletes every row and every `once` key. */
  clear(): Promise<void>;
  /** The visitor's stored consent choice, read now (false when none is stored). */
  readConsent(): Promise<boolean>;
  writeConsent(on: boolean): Promise<void>;
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

/** Options of one `record` call. */
export interface RecordOptions {
  /** Refuse (ConsentRequiredError) unless the stored consent is on, checked in the same atomic step. */
  readonly requireConsent?: boolean;
  /**
   * A key this release may be made under at most once (one DAP report per task and window):
   * refused (AlreadyReleasedError) when a release was already recorded under it; otherwise the key
   * is taken in the same atomic step that records the row, so two tabs cannot both release.
   */
  readonly once?: string;
}

/** The ledger API used by the gate and exposed to the privacy panel. */
export interface Ledger {
  readonly caps: LedgerCaps;
  /** Whether a release of `cost` would fit the caps now (advisory: `record` decides atomically). */
  canSpend(cost: PrivacyCost): Promise<SpendDecision>;
  /**
   * Checks the caps (and the stored consent when asked) and appends the row in one atomic step
   * across contexts; throws InvalidCostError, ConsentRequiredError or BudgetExceededError and
   * stores nothing when it refuses.
   */
  record(entry: Omit<LedgerEntry, 'id'>, options?: RecordOptions): Promise<LedgerEntry>;
  spent(): Promise<{ daily: Spend; lifetime: Spend }>;
  entries(sinceMs?: number): Promise<LedgerEntry[]>;
  /** Whether a release was recorded under the `once` key `key` (advisory: `record` decides). */
  released(key: string): Promise<boolean>;
  /** The visitor's stored consent choice, read now (never a cached copy). */
  consent(): Promise<boolean>;
  setConsent(on: boolean): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Download rows (public data, ε 0) kept: the newest 500. They only tell the visitor what was
 * fetched; without a bound every page load would grow the ledger (and every atomic check) for
 * ever. Rows with a privacy cost are never pruned: the caps are computed from them.
 */
export const DOWNLOAD_ROWS_KEPT = 500;

/** Throws InvalidCostError unless `value` is a finite number >= 0. */
export function assertCost(field: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new InvalidCostError(field, value);
}

function assertEntryCost(entry: Omit<LedgerEntry, 'id'>): void {
  assertCost('epsilon', entry.epsilon);
  assertCost('delta', entry.delta);
  assertCost('bytes', entry.bytes);
  if (entry.rho !== undefined) assertCost('rho', entry.rho);
}

/** A stored value that is not a valid cost counts as an exhausted budget (fail closed). */
function costValue(value: number): number {
  return Number.isFinite(value) && value >= 0 ? value : Number.POSITIVE_INFINITY;
}

/** Sums the rows into a Spend at δ. */
export function summarizeSpend(rows: readonly LedgerEntry[], delta: number): Spend {
  let pure = 0;
  let rho = 0;
  let bytes = 0;
  let releases = 0;
  for (const row of rows) {
    bytes += row.bytes;
    if (row.rho !== undefined) rho += costValue(row.rho);
    else pure += costValue(row.epsilon);
    if (row.rho !== undefined || row.epsilon !== 0) releases += 1;
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

/** Ids of the download rows to delete so that, with one more, DOWNLOAD_ROWS_KEPT remain. */
function downloadsToPrune(rows: readonly LedgerEntry[], keep: number): number[] {
  const downloads = rows.filter((r) => r.kind === 'download' && r.id !== undefined);
  const excess = downloads.length - (keep - 1);
  if (excess <= 0) return [];
  return downloads
    .sort((a, b) => a.at - b.at || (a.id ?? 0) - (b.id ?? 0))
    .slice(0, excess)
    .map((r) => r.id ?? -1);
}

/** The error a refusal throws. */
function refusalError(refusal: LedgerRefusal): Error {
  switch (refusal.kind) {
    case 'consent':
      return new ConsentRequiredError();
    case 'cap':
      return new BudgetExceededError(refusal.reason);
    case 'once':
      return new AlreadyReleasedError(refusal.key);
    default: {
      const never: never = refusal;
      return new Error(`unknown refusal ${JSON.stringify(never)}`);
    }
  }
}

/** Creates a ledger over injected storage; `now` is injected so tests control the clock. */
export function createLedger(options: {
  storage: LedgerStorage;
  caps?: Partial<LedgerCaps>;
  now?: () => number;
  /** Download rows kept (default DOWNLOAD_ROWS_KEPT). */
  keepDownloads?: number;
}): Ledger {
  const caps: LedgerCaps = { ...DEFAULT_CAPS, ...options.caps };
  const now = options.now ?? Date.now;
  const keepDownloads = Math.max(1, options.keepDownloads ?? DOWNLOAD_ROWS_KEPT);
  const { storage } = options;

  /** The cap a release of `cost` would break given `rows`, or null: pure and synchronous. */
  const overCap = (rows: readonly LedgerEntry[], cost: PrivacyCost): string | null => {
    const t = now();
    const check = (window: readonly LedgerEntry[], cap: number, label: string): string | null => {
      const s = summarizeSpend(window, caps.delta);
      const rho = s.rho + cost.rho;
      const eps = s.pureEpsilon + cost.epsilon + (rho > 0 ? rhoToEpsilon(rho, caps.delta) : 0);
      // `!(eps <= cap)` and not `eps > cap`: a NaN total must refuse, never pass.
      return !(eps <= cap + 1e-12)
        ? `${label} ε would be ${eps.toFixed(3)} > cap ${cap} (δ = ${caps.delta})`
        : null;
    };
    return (
      check(
        rows.filter((r) => r.at > t - DAY_MS),
        caps.dailyEpsilon,
        'daily',
      ) ?? check(rows, caps.lifetimeEpsilon, 'lifetime')
    );
  };

  return {
    caps,
    async canSpend(cost) {
      assertCost('epsilon', cost.epsilon);
      assertCost('rho', cost.rho);
      const reason = overCap(await storage.list(), cost);
      return reason === null ? { ok: true } : { ok: false, reason };
    },
    async record(entry, recordOptions = {}) {
      assertEntryCost(entry);
      const cost = costOf(entry);
      const free = cost.epsilon === 0 && cost.rho === 0;
      const { once } = recordOptions;
      const decide = ({ rows, consent, released }: LedgerState): AppendPlan => {
        if (recordOptions.requireConsent === true && !consent)
          return { refuse: { kind: 'consent' } };
        if (once !== undefined && released) return { refuse: { kind: 'once', key: once } };
        // A free row (a download, a consented GET) cannot break a cap: only costly ones are checked.
        const reason = free ? null : overCap(rows, cost);
        if (reason !== null) return { refuse: { kind: 'cap', reason } };
        return { prune: entry.kind === 'download' ? downloadsToPrune(rows, keepDownloads) : [] };
      };
      const outcome = await storage.appendIf(entry, decide, once);
      if ('refuse' in outcome) throw refusalError(outcome.refuse);
      return { ...entry, id: outcome.id };
    },
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
    released: (key) => storage.isReleased(key),
    consent: () => storage.readConsent(),
    setConsent: (on) => storage.writeConsent(on),
  };
}

/**
 * In-memory storage (tests, Node, the simulation). Every call runs `decide` and the append
 * synchronously, so it is atomic within its one JavaScript context.
 */
export function createMemoryLedgerStorage(options: { consent?: boolean } = {}): LedgerStorage {
  let rows: LedgerEntry[] = [];
  let nextId = 1;
  let consent = options.consent ?? false;
  const taken = new Set<string>();
  return {
    async appendIf(entry, decide, once) {
      const released = once !== undefined && taken.has(once);
      const plan = decide({ rows: [...rows], consent, released });
      if ('refuse' in plan) return { refuse: plan.refuse };
      const gone = new Set(plan.prune);
      rows = rows.filter((r) => r.id === undefined || !gone.has(r.id));
      const id = nextId++;
      rows.push({ ...entry, id });
      if (once !== undefined) taken.add(once);
      return { id };
    },
    list: async (sinceMs) => rows.filter((r) => sinceMs === undefined || r.at >= sinceMs),
    isReleased: async (key) => taken.has(key),
    clear: async () => {
      rows = [];
      taken.clear();
    },
    readConsent: async () => consent,
    writeConsent: async (on) => {
      consent = on;
    },
  };
}
