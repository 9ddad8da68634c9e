/**
 * Client-side LDP telemetry: each item event is randomised with OLH at once (the raw item id is
 * never queued), reports are batched and flushed after a random delay through the privacy gate,
 * which accounts ε per report and refuses the batch if a cap would be exceeded.
 * Wang et al. 2017 (OLH, see olh.ts); batching + random delay as in Apple's 2017 LDP deployment
 * ("Learning with Privacy at Scale", Apple ML Journal).
 */
import type { TelemetryBatch } from '../protocol/telemetry.ts';
import { TELEMETRY_VERSION } from '../protocol/version.ts';
import type { Rng } from '../shared/rng.ts';
import type { PrivacyGate } from './gate.ts';
import { type OlhReport, olhEncode, olhParams } from './olh.ts';

/** Options of the telemetry client. */
export interface TelemetryClientOptions {
  readonly gate: PrivacyGate;
  readonly url: string;
  /** ε per report; default 2. */
  readonly epsilon?: number;
  /** Maximum reports per batch; default 20. */
  readonly maxBatch?: number;
  /** A flush is scheduled uniformly in [minDelayMs, maxDelayMs] after the first queued report. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly rng: Rng;
  /** Injected timer so tests control time. */
  readonly schedule?: (fn: () => void, ms: number) => unknown;
}

/** The telemetry client API. */
export interface TelemetryClient {
  /** Randomises one item event and queues the report. */
  report(itemId: string): void;
  /** Sends queued reports now; resolves to the number sent (0 when empty; throws when refused). */
  flush(): Promise<number>;
  /**
   * Drops every queued report (consent went off, or "Forget me", in this or another tab): a
   * report queued under a consent since withdrawn is never sent, even if consent comes back.
   */
  discard(): void;
  readonly pending: number;
}

/** Creates a telemetry client that sends only through `gate`. */
export function createTelemetryClient(options: TelemetryClientOptions): TelemetryClient {
  const epsilon = options.epsilon ?? 2;
  const params = olhParams(epsilon);
  const maxBatch = options.maxBatch ?? 20;
  const minDelay = options.minDelayMs ?? 30_000;
  const maxDelay = options.maxDelayMs ?? 300_000;
  const schedule = options.schedule ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  let queue: OlhReport[] = [];
  let scheduled = false;

  const flush = async (): Promise<number> => {
    scheduled = false;
    if (queue.length === 0) return 0;
    const reports = queue.slice(0, maxBatch);
    const body: TelemetryBatch = {
      v: TELEMETRY_VERSION,
      kind: 'telemetry',
      mechanism: 'olh',
      epsilon,
      reports: reports.map((r) => [r.seed, r.value] as [number, number]),
    };
    try {
      await options.gate.send({
        url: options.url,
        method: 'POST',
        body: JSON.stringify(body),
        contentType: 'application/json',
        kind: 'telemetry',
        summary: `${reports.length} OLH item report${reports.length === 1 ? '' : 's'} (ε = ${epsilon} each, hash range ${params.range})`,
        epsilon: epsilon * reports.length,
      });
    } catch (error) {
      // Refused (consent off or cap reached): the reports are dropped, never retried later.
      queue = queue.filter((r) => !reports.includes(r));
      throw error;
    }
    // By identity: a discard() during the send may have emptied the queue in the meantime.
    queue = queue.filter((r) => !reports.includes(r));
    return reports.length;
  };

  return {
    report(itemId) {
      queue.push(olhEncode(itemId, params, options.rng));
      if (!scheduled) {
        scheduled = true;
        const delay = minDelay + options.rng() * (maxDelay - minDelay);
        schedule(() => {
          flush().catch(() => undefined);
        }, delay);
      }
    },
    flush,
    discard() {
      queue = [];
    },
    get pending() {
      return queue.length;
    },
  };
}
