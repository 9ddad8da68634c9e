/**
 * The privacy gate: the only path by which Hearth client code makes a request.
 * - `send` is for what depends on the visitor (releases, and requests made only with consent):
 *   nothing is sent while consent is off (the default), and a release that would exceed a cap is
 *   refused and nothing is sent.
 * - `download` is for public data that never depends on the visitor (catalog, models, runtime):
 *   it needs no consent and costs no ε.
 * Both record a ledger row (URL, bytes, readable summary, privacy cost) before the request goes
 * out, and both make it anonymous: no cookies or credentials, no referrer, no HTTP cache.
 * Consent is never cached here: `send` has the ledger check the STORED choice in the same atomic
 * step that checks the caps and records the row, so a choice made in another tab counts at once.
 */
import { assertCost, type Ledger, type LedgerEntry, type LedgerKind } from './ledger.ts';
import { rhoToEpsilon } from './rdp.ts';

/** The fetch subset the gate needs; injected so tests and the simulation can route in memory. */
export type GateFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One outgoing request as described to the gate. */
export interface GateRequest {
  readonly url: string;
  /** Default GET without a body, POST with one; PUT for a DAP report upload. */
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly contentType?: string;
  readonly kind: LedgerKind;
  /** A readable description for the privacy panel ("12 LDP item reports, ε=2 each"). */
  readonly summary: string;
  /** Pure ε of this release (LDP), 0 for none. */
  readonly epsilon?: number;
  /** zCDP ρ of a Gaussian release (its ε is shown at the ledger's δ). */
  readonly rho?: number;
  /**
   * A key this release may be made under only once (one DAP report per task and window): a
   * second send under it is refused (AlreadyReleasedError) and nothing is sent (see RecordOptions).
   */
  readonly once?: string;
}

/** A download of public data (nothing about the visitor is in it). */
export interface DownloadRequest {
  readonly url: string;
  /** A readable description for the privacy panel ("the site's catalog"). */
  readonly summary: string;
  /** `HEAD` to ask whether a file exists; default `GET`. */
  readonly method?: 'GET' | 'HEAD';
  /** Aborts the request (e.g. a sync timeout). */
  readonly signal?: AbortSignal;
  /** Extra request headers (e.g. `accept`); never cookies or identifiers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Request options that make every Hearth request anonymous by construction: no cookies or HTTP
 * credentials (a same-origin server would otherwise get the site's session), no referrer (the
 * page URL can name an item), and no HTTP cache (a cached validator could be replayed as a tag).
 */
export const ANONYMOUS_REQUEST: Readonly<
  Pick<RequestInit, 'credentials' | 'referrerPolicy' | 'cache'>
> = {
  credentials: 'omit',
  referrerPolicy: 'no-referrer',
  cache: 'no-store',
};

/** The gate API. */
export interface PrivacyGate {
  /** The visitor's stored consent choice, read now (off when none is stored). */
  consent(): Promise<boolean>;
  /** Stores the visitor's choice; every later `send`, in any context sharing the ledger, obeys it. */
  setConsent(on: boolean): Promise<void>;
  /**
   * Records then sends; throws InvalidCostError, ConsentRequiredError, BudgetExceededError or
   * AlreadyReleasedError without sending.
   */
  send(request: GateRequest): Promise<Response>;
  /** Records (ε 0) then fetches public data; needs no consent. */
  download(request: DownloadRequest): Promise<Response>;
}

/**
 * Creates a gate over a ledger and an injected fetch. Consent is what the ledger's storage holds
 * (off by default); `consent`, when given, is stored before the first request (tests, simulation).
 */
export function createPrivacyGate(options: {
  ledger: Ledger;
  fetch: GateFetch;
  consent?: boolean;
  now?: () => number;
}): PrivacyGate {
  const { ledger } = options;
  const now = options.now ?? Date.now;
  const initial =
    options.consent === undefined ? Promise.resolve() : ledger.setConsent(options.consent);
  return {
    async consent() {
      await initial;
      return ledger.consent();
    },
    async setConsent(on) {
      await initial;
      await ledger.setConsent(on);
    },
    async send(request) {
      if (request.epsilon !== undefined) assertCost('epsilon', request.epsilon);
      if (request.rho !== undefined) assertCost('rho', request.rho);
      await initial;
      const body = request.body;
      const bytes =
        body === undefined
          ? 0
          : typeof body === 'string'
            ? new TextEncoder().encode(body).byteLength
            : body.byteLength;
      const method = request.method ?? (body === undefined ? 'GET' : 'POST');
      const base = {
        at: now(),
        kind: request.kind,
        bytes,
        url: request.url,
        summary: `${method} ${request.url} — ${request.summary}`,
      };
      const entry: Omit<LedgerEntry, 'id'> =
        request.rho !== undefined
          ? {
              ...base,
              rho: request.rho,
              epsilon: rhoToEpsilon(request.rho, ledger.caps.delta),
              delta: ledger.caps.delta,
            }
          : { ...base, epsilon: request.epsilon ?? 0, delta: 0 };
      await ledger.record(entry, {
        requireConsent: true,
        ...(request.once === undefined ? {} : { once: request.once }),
      });
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      return options.fetch(request.url, { method, headers, body, ...ANONYMOUS_REQUEST });
    },
    async download(request) {
      const method = request.method ?? 'GET';
      await initial;
      await ledger.record({
        at: now(),
        kind: 'download',
        bytes: 0,
        url: request.url,
        summary: `${method} ${request.url} — ${request.summary}`,
        epsilon: 0,
        delta: 0,
      });
      return options.fetch(request.url, {
        method,
        headers: { ...request.headers },
        ...(request.signal !== undefined ? { signal: request.signal } : {}),
        ...ANONYMOUS_REQUEST,
      });
    },
  };
}
