/**
 * Hearth's public surface for client code: the browser page, the engine worker, and Node tools.
 * Importing it has no side effects (the `<hearth-recs>` element is defined by the widget bundle,
 * `src/widget/index.ts`, or by calling `defineHearthElement`). The thin server's entry is
 * `createApp` in `src/server/app.ts` (Node only: it needs better-sqlite3).
 */

// Catalog: parsing, validation, sync, the catalog service.
export type {
  CatalogApi,
  CatalogHit,
  CatalogStatus,
  SearchQuery,
  SyncResult,
} from './catalog/catalog.api.ts';
export { CatalogEmptyError, CatalogParseError, CatalogSyncError } from './catalog/errors.ts';
export { type CatalogParseResult, parseCatalogText } from './catalog/parse.ts';
export { type CatalogReport, catalogReport, parseReport } from './catalog/report.ts';
export { type CatalogService, createCatalogService } from './catalog/service.ts';
// Encoder: text → vectors on the device.
export {
  createEncoder,
  DEFAULT_MODEL,
  type EmbeddingBatch,
  type Encoder,
  type EncoderInfo,
  EncoderInputError,
  EncoderModelError,
  type EncoderOptions,
} from './encoder/index.ts';
export { type CollabModel, collabScores, collabUserVector } from './engine/collab-model.ts';
// Engine: events, user state, candidates, ranking, explanations.
export { createMemoryEventLog, DEFAULT_RETENTION, type EventLog } from './engine/events.ts';
export { createMemoryPromptStore, type PromptStore } from './engine/prompt-store.ts';
export { DEFAULT_RECOMMEND_CONFIG, recommendFor } from './engine/recommend.ts';
export { createEngineService, type EngineService } from './engine/service.ts';
// Federated learning: the client side of a round.
export { createFederatedClient } from './federated/client.ts';
export { parseCollab, serializeCollab } from './models/collab-format.ts';
export { clipL2, l2Norm } from './privacy/clip.ts';
export {
  BudgetExceededError,
  ConsentRequiredError,
  PrivacyParameterError,
} from './privacy/errors.ts';
// Privacy: the gate (only way out), the ledger, DP mechanisms and accounting.
export { createPrivacyGate, type PrivacyGate } from './privacy/gate.ts';
export { addGaussianNoise } from './privacy/gaussian.ts';
export {
  createLedger,
  createMemoryLedgerStorage,
  DEFAULT_CAPS,
  type Ledger,
  type LedgerEntry,
} from './privacy/ledger.ts';
export { olhEncode, olhEstimate, olhParams } from './privacy/olh.ts';
export { gaussianRdp, rdpToEpsilon, rhoToEpsilon, sampledGaussianRdp } from './privacy/rdp.ts';
export { createTelemetryClient } from './privacy/telemetry-client.ts';
// Wire protocol (zod schemas shared with the server).
export * as protocol from './protocol/index.ts';
// Vector index: exact top-k.
export { VectorIndex } from './search/vector-index.ts';
// Randomness: every random step takes an injected source.
export { type Rng, seededRng } from './shared/rng.ts';
export { StoreQuotaError } from './store/errors.ts';
// Store: the one IndexedDB schema and its adapters (events, prompt, ledger, catalog).
export { createIndexedDbEventLog } from './store/event-log.ts';
export { createIdbLedgerStorage } from './store/ledger-store.ts';
export { createIndexedDbPromptStore } from './store/prompt-store.ts';
export {
  deleteAllHearthDatabases,
  type HearthDB,
  listHearthDatabases,
  openHearthDB,
} from './store/schema.ts';
// Widget: the page API and the custom element.
export { defineHearthElement } from './widget/element.ts';
export { createHearth, type HearthApi } from './widget/hearth.ts';
export { DEFAULT_STRINGS, type HearthStrings } from './widget/strings.ts';
// The engine worker: one contract for both sides, and the factory its entry point exposes.
export { createEngineWorker } from './worker/create-engine-worker.ts';
export type { EngineWorkerApi } from './worker/engine-worker.api.ts';
