/**
 * The privacy gate: the only path by which Hearth client code sends anything off the device.
 * Nothing leaves while consent is off (the default). Every request — GETs included — is
 * recorded in the ledger with its URL, byte count, readable summary and privacy cost before it
 * is sent; a release that would exceed a cap is refused and nothing is sent.
 */
import { ConsentRequiredError } from './errors.ts';
import type { Ledger, LedgerEntry, LedgerKind } from './ledger.ts';
import { rhoToEpsilon } from './rdp.ts';

/** The fetch subset the gate needs; injected so tests and the simulation can route in memory. */
export type GateFetch = (url: string, init: RequestInit) => Promise<Response>;

/** One outgoing request as described to the gate. */
export interface GateRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly contentType?: string;
  readonly kind: LedgerKind;
  /** A readable description for the privacy panel ("12 LDP item reports, ε=2 each"). */
  readonly summary: string;
  /** Pure ε of this release (LDP), 0 for none. */
  readonly epsilon?: number;
  /** zCDP ρ of a Gaussian release (its ε is shown at the ledger's δ). */
  readonly rho?: number;
}

/** The gate API. */
export interface PrivacyGate {
  readonly consent: boolean;
  setConsent(on: boolean): void;
  /** Records then sends; throws ConsentRequiredError or BudgetExceededError without sending. */
  send(request: GateRequest): Promise<Response>;
}

/** Creates a gate over a ledger and an injected fetch; consent defaults to off. */
export function createPrivacyGate(options: {
  ledger: Ledger;
  fetch: GateFetch;
  consent?: boolean;
  now?: () => number;
}): PrivacyGate {
  let consent = options.consent ?? false;
  const now = options.now ?? Date.now;
  return {
    get consent() {
      return consent;
    },
    setConsent(on) {
      consent = on;
    },
    async send(request) {
      if (!consent) throw new ConsentRequiredError();
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
              epsilon: rhoToEpsilon(request.rho, options.ledger.caps.delta),
              delta: options.ledger.caps.delta,
            }
          : { ...base, epsilon: request.epsilon ?? 0, delta: 0 };
      await options.ledger.record(entry);
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      return options.fetch(request.url, { method, headers, body });
    },
  };
}
