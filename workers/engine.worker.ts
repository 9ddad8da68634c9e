/**
 * The engine worker: catalog, engine and privacy exposed over comlink. No logic here.
 * Optional worker URL parameters: `db` (IndexedDB name), `model` (encoder model name),
 * `models` (model directory URL, default `/models/`), `wasm` (ONNX Runtime files, default `/ort/`),
 * `server` (thin-server URL for LDP telemetry; nothing is sent without consent).
 */
import { expose, proxy } from 'comlink';
import { createCatalogService } from '../src/catalog/service.ts';
import { type CatalogWorkerApi, catalogWorkerApi } from '../src/worker/catalog-part.ts';
import { createEncoder, DEFAULT_MODEL } from '../src/encoder/index.ts';
import { catalogEngineSource } from '../src/worker/catalog-source.ts';
import { fetchCollabModels } from '../src/worker/collab-loader.ts';
import type { EngineApi } from '../src/engine/engine.api.ts';
import { manifestFirstEncoder } from '../src/worker/lazy-encoder.ts';
import { linearRanker } from '../src/engine/ranker.ts';
import { fetchRanker } from '../src/worker/ranker-loader.ts';
import { createEngineService } from '../src/engine/service.ts';
import { cryptoRng } from '../src/federated/random-id.ts';
import { createWorkerPrivacy } from '../src/worker/privacy-part.ts';
import type { PrivacyRemote } from '../src/worker/engine-worker.api.ts';

const params = new URL(self.location.href).searchParams;
const opt = (name: string) => params.get(name) ?? undefined;
const modelsUrl = opt('models');
const wasmPaths = opt('wasm');
const model = opt('model') ?? DEFAULT_MODEL;
// The manifest names the model at once; the model loads on first use or warmUp (lazy-encoder.ts).
const encoder = manifestFirstEncoder({
  manifestUrl: new URL(
    `${model}/manifest.json`,
    new URL(modelsUrl ?? '/models/', self.location.href),
  ).href,
  // Static import on purpose: a dynamic chunk would import this entry again by its bare URL,
  // which differs from the worker's URL when it carries parameters, and run a second copy.
  load: () => createEncoder({ model, modelsPath: modelsUrl, wasmPaths }),
});
const catalog = createCatalogService({ encoder, dbName: opt('db') });
const privacy = createWorkerPrivacy({ server: opt('server'), dbName: opt('db') });
const ranker = fetchRanker({ modelsUrl, wasmPaths });
const engine = Promise.all([encoder, ranker, fetchCollabModels({ modelsUrl })]).then(
  ([enc, ranker, { collab, sequence }]) =>
    createEngineService({
      catalog: catalogEngineSource(catalog),
      encoder: enc,
      ranker,
      collab,
      sequence,
      dbName: opt('db'),
    }),
);

/** The server's DP popularity estimates become the engine's prior (with consent only). */
const refreshPopularity = () =>
  Promise.all([engine, privacy.popularity()])
    .then(([e, counts]) => (counts === null ? undefined : e.setPopularity(counts)))
    .catch(() => undefined);
void refreshPopularity();

/** The ranker the operator promoted, when there is one (with consent only); else the shipped one. */
const refreshRanker = () =>
  Promise.all([engine, privacy.servedRanker()])
    .then(([e, served]) =>
      served === null
        ? undefined
        : e.setRanker(linearRanker(`served-v${served.version}`, served.weights, 0)),
    )
    .catch(() => undefined);
void refreshRanker();

/** This device's training data for a federated round (built here, never sent as such). */
const localData = async () => {
  const data = await (await engine).trainingData();
  return { collabItems: data.items, rankerGroups: data.rankingExamples };
};
const train = () => privacy.train(localData);

/** One federated round per page load, 30 s to 5 min after the first recommendations. */
const TRAIN_DELAY_MS = { min: 30_000, max: 300_000 };

/**
 * After the first recommendations: start ONNX Runtime (encoder model, ranker session) and
 * schedule this page load's federated round (a no-op without consent or a server).
 */
let warmed = false;
const warmUp = () => {
  if (warmed) return;
  warmed = true;
  const spread = TRAIN_DELAY_MS.max - TRAIN_DELAY_MS.min;
  setTimeout(() => void train(), TRAIN_DELAY_MS.min + cryptoRng() * spread);
  setTimeout(() => {
    void encoder.then(
      (e) => e.warm(),
      () => undefined,
    );
    void ranker.then(
      (r) => r.startOnnx(),
      () => undefined,
    );
  }, 0);
};

/** What the page gets from `Comlink.wrap<EngineWorkerApi>(worker)`. */
export interface EngineWorkerApi {
  readonly catalog: CatalogWorkerApi;
  readonly engine: EngineApi;
  readonly privacy: PrivacyRemote;
}

const api: EngineWorkerApi = {
  catalog: catalogWorkerApi(catalog),
  engine: proxy({
    track: async (event) => {
      await (await engine).track(event);
      await privacy.report(event.itemId); // an OLH-randomised report, queued only with consent
    },
    recommend: async (options) => {
      const results = await (await engine).recommend(options);
      warmUp();
      return results;
    },
    events: async () => (await engine).events(),
    setPopularity: async (counts) => (await engine).setPopularity(counts),
    forget: async () => {
      await (await engine).forget();
      await privacy.forgotten();
    },
  } satisfies EngineApi),
  privacy: proxy({
    ledger: () => privacy.ledger(),
    setConsent: async (on) => {
      await privacy.setConsent(on);
      if (on) {
        void refreshPopularity();
        void refreshRanker();
      }
    },
    flush: () => privacy.flush(),
    train,
  } satisfies PrivacyRemote),
};
expose(api);
