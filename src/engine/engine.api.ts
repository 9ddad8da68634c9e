/** The engine's contract with the page (through the worker); every value is structured-clone friendly. */
import type { EngineEvent, Recommendation } from './types.ts';

/** Options of one recommendation request. */
export interface RecommendOptions {
  readonly limit: number;
  /** A sentence about what the visitor wants now; kept in memory for this call only. */
  readonly prompt?: string;
  /**
   * Opt-in: keep `prompt` on this device (IndexedDB) and reuse it when a later call gives no
   * prompt; `rememberPrompt: true` with an empty prompt forgets the kept one. Never sent anywhere.
   */
  readonly rememberPrompt?: boolean;
}

/** What the page can ask the engine. */
export interface EngineApi {
  /** Records an interaction on the device (IndexedDB); never sent anywhere. */
  track(event: EngineEvent): Promise<void>;
  /** Recommends up to `limit` items with explanations. */
  recommend(options: RecommendOptions): Promise<Recommendation[]>;
  /** The events stored on this device (for "what Hearth knows about me"). */
  events(): Promise<EngineEvent[]>;
  /** Replaces the popularity prior (e.g. with DP-estimated counts). */
  setPopularity(counts: Readonly<Record<string, number>>): Promise<void>;
  /** Deletes every Hearth database on this origin and the engine's memory. */
  forget(): Promise<void>;
}
