/**
 * `createEngineWorker(config)`: the engine worker, assembled. It owns the loaders (encoder,
 * ranker, collab models), the catalog service, the engine service over IndexedDB storage and the
 * privacy part, and returns the one `EngineWorkerApi`. `workers/engine.worker.ts` only exposes it.
 */
import { proxy } from 'comlink';
import { createCatalogService } from '../catalog/service.ts';
import { createEncoder } from '../encoder/index.ts';
import { linearRanker } from '../engine/ranker.ts';
import { createEngineService, type EngineService } from '../engine/service.ts';
import {
  type Recommendation,
  type RecommendRequest,
  RecommendRequestSchema,
} from '../protocol/recommendation.ts';
import { cryptoRng } from '../shared/rng.ts';
import { deleteHearthCaches } from '../store/caches.ts';
import { createIndexedDbEventLog } from '../store/event-log.ts';
import { createIndexedDbPromptStore } from '../store/prompt-store.ts';
import { deleteAllHearthDatabases } from '../store/schema.ts';
import { catalogWorkerApi } from './catalog-part.ts';
import { catalogEngineSource } from './catalog-source.ts';
import { fetchCollabModels, fetchDeployedModels } from './collab-loader.ts';
import type { EngineWorkerConfig } from './config.ts';
import { loadServedCooccurrence } from './cooccurrence-loader.ts';
import type { EngineWorkerApi } from './engine-worker.api.ts';
import { WorkerRequestError } from './errors.ts';
import { manifestFirstEncoder } from './lazy-encoder.ts';
import { gatedOrtRuntime } from './ort-runtime.ts';
import { createWorkerPrivacy } from './privacy-part.ts';
import { fetchRanker } from './ranker-loader.ts';

/**
 * One contribution per page load (DAP reports, or an LDP federated round), 30 s to 5 min after
 * the first recommendations.
 */
const TRAIN_DELAY_MS = { min: 30_000, max: 300_000 };

/** Narrows what the page sent to a recommend request; throws WorkerRequestError naming the field. */
export function checkRecommendRequest(value: unknown): RecommendRequest {
  const parsed = RecommendRequestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new WorkerRequestError(
    `recommend(): ${issue?.path.join('.') || 'request'}: ${issue?.message}; pass { limit: 1–50, prompt?: string, exclude?: string[] }.`,
  );
}

/** Builds the worker's API from its configuration. */
export function createEngineWorker(config: EngineWorkerConfig): EngineWorkerApi {
  const { dbName, model } = config;
  // Defaults next to the worker: the build puts it in assets/, beside models/ and ort/, so a
  // build served under any path (e.g. /vendor/) finds them; in dev it sits in workers/.
  const modelsBase = new URL(config.modelsUrl ?? '../models/', config.baseUrl).href;
  // The privacy part comes first: its gate is the one way out, for the loaders' downloads too
  // (each request a ledger row at ε 0; see gated-fetch.ts).
  const privacy = createWorkerPrivacy({
    server: config.server,
    ...(config.helper === undefined ? {} : { helper: config.helper }),
    dbName,
  });
  const ortRuntime = gatedOrtRuntime({
    base: new URL(config.wasmPaths ?? '../ort/', config.baseUrl).href,
    fetch: privacy.download('ONNX Runtime (public file, nothing about this visitor is sent)'),
  });
  // The manifest names the model at once; the model loads on first use or warmUp (lazy-encoder.ts).
  const encoder = manifestFirstEncoder({
    manifestUrl: new URL(`${model}/manifest.json`, modelsBase).href,
    fetch: privacy.download('encoder manifest (public file)'),
    load: async () =>
      createEncoder({
        model,
        modelsPath: modelsBase,
        ortFiles: await ortRuntime(),
        fetch: privacy.download('encoder model file (public file)'),
      }),
  });
  const catalogFetch = privacy.download("the site's catalog (public file)");
  const imageFetch = privacy.download('a catalog image (the same set for every visitor)');
  const catalog = createCatalogService({
    encoder,
    dbName,
    fetch: (url, init) => (init.purpose === 'image' ? imageFetch : catalogFetch)(url, init),
  });
  const ranker = fetchRanker({
    modelsUrl: modelsBase,
    fetch: privacy.download('ranker model (public file)'),
    runtime: ortRuntime,
  });
  const engine: Promise<EngineService> = Promise.all([
    encoder,
    ranker,
    fetchDeployedModels(modelsBase, privacy.download('the models index (public file)')).then(
      (deployed) =>
        fetchCollabModels({
          modelsUrl: modelsBase,
          deployed,
          fetch: privacy.download('collaborative models (public file)'),
        }),
    ),
  ]).then(([enc, shipped, { collab, sequence }]) =>
    createEngineService({
      catalog: catalogEngineSource(catalog),
      encoder: enc,
      ranker: shipped,
      collab,
      sequence,
      events: createIndexedDbEventLog(undefined, dbName),
      promptStore: createIndexedDbPromptStore(dbName),
      // Every database (the image store included), every Hearth cache, the images in memory.
      forgetStorage: async () => {
        await deleteAllHearthDatabases();
        await deleteHearthCaches();
        catalog.forgetImages();
      },
      rng: cryptoRng,
    }),
  );

  /** The server's DP popularity estimates become the engine's prior (with consent only). */
  const refreshPopularity = () =>
    Promise.all([engine, privacy.popularity()])
      .then(([e, counts]) => (counts === null ? undefined : e.setPopularity(counts)))
      .catch(() => undefined);
  /** The ranker the operator promoted, when there is one (with consent only). */
  const refreshRanker = () =>
    Promise.all([engine, privacy.servedRanker()])
      .then(([e, served]) =>
        served === null
          ? undefined
          : e.setRanker(linearRanker(`served-v${served.version}`, served.weights, 0)),
      )
      .catch(() => undefined);
  /** The private item-item model the operator promoted, when there is one (with consent only). */
  const refreshCooccurrence = () =>
    Promise.all([engine, loadServedCooccurrence(privacy)])
      .then(([e, model]) => (model === null ? undefined : e.setCooccurrence(model)))
      .catch(() => undefined);
  void refreshPopularity();
  void refreshRanker();
  void refreshCooccurrence();

  /**
   * This device's training data (built here, never sent as such): its positive items, oldest
   * first (collab rounds, DAP item histograms and pair counts), its local ranking examples (ranker
   * updates) and the engine's held-out ranking (federated evaluations of a candidate model).
   */
  const localData = async () => {
    const e = await engine;
    const data = await e.trainingData();
    return {
      collabItems: data.items,
      rankerGroups: data.rankingExamples,
      heldOutRanks: e.heldOutRanks,
    };
  };
  /** DAP reports with a helper configured, a federated round (LDP) with a server alone. */
  const train = () => privacy.train(localData);

  // After the first recommendations: start ONNX Runtime (encoder model, ranker session) and
  // schedule this page load's contribution: DAP reports with a helper, an LDP federated round with
  // a server alone, nothing without consent or a server.
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

  return {
    catalog: catalogWorkerApi(catalog),
    engine: proxy({
      async track(event) {
        const at = event.at ?? Date.now();
        await (await engine).track({ kind: event.kind, itemId: event.itemId, at });
        await privacy.report(event.itemId); // an OLH-randomised report, queued only with consent
      },
      async recommend(request) {
        const checked = checkRecommendRequest(request);
        const ranked = await (await engine).recommend(checked);
        warmUp();
        const out: Recommendation[] = [];
        for (const r of ranked) {
          const item = catalog.getItem(r.itemId);
          if (item === undefined) continue;
          const cachedImage = catalog.cachedImage(item); // from the device's cache, never fetched
          out.push({ item, ...r, ...(cachedImage ? { cachedImage } : {}) });
        }
        return out;
      },
      events: async () => (await engine).events(),
      async forget() {
        await (await engine).forget();
        await privacy.forgotten();
      },
    }),
    privacy: proxy({
      ledger: () => privacy.ledger(),
      async setConsent(on) {
        await privacy.setConsent(on);
        if (on) {
          void refreshPopularity();
          void refreshRanker();
          void refreshCooccurrence();
        }
      },
      flush: () => privacy.flush(),
      train,
      contribute: () => privacy.contribute(localData),
    }),
  };
}
