/**
 * Catalog figures: ingest of a synthetic 10k-item catalog (parse + embed + store, Node,
 * fake-indexeddb, the real encoder), store bytes per item, and exact top-20 search over 100k
 * 100-d vectors (1,000 queries, f32 and int8).
 */
import { existsSync } from 'node:fs';
import { serialize } from 'node:v8';
// Node has no IndexedDB: the ingest figure uses fake-indexeddb (an in-memory implementation).
import 'fake-indexeddb/auto';
import { createCatalogService } from '../src/catalog/service.ts';
import type { Encoder } from '../src/encoder/types.ts';
import { VectorIndex, type VectorKind } from '../src/search/vector-index.ts';
import { gaussian, type Rng, seededRng } from '../src/shared/rng.ts';
import { openHearthDB } from '../src/store/schema.ts';
import type { BenchFigures, BenchSuite } from './types.ts';

const WORDS =
  'time year people way day man thing woman life child world school state family student group country problem hand part place case week company system program question work government number night point home water room mother area money story fact month lot right study book eye job word business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea kid body information back parent face others level office door health person art war history party result change morning reason research girl guy moment air teacher force education garden kitchen ocean river mountain forest island winter summer autumn spring light shadow stone fire storm wind rain snow garden bridge castle village harbor journey secret dream memory letter music song voice silence heart soul mind truth lie love fear hope courage danger adventure mystery murder detective king queen prince soldier captain sailor farmer doctor nurse scientist engineer artist writer poet painter dancer singer chef baker gardener traveler stranger neighbor brother sister daughter son husband wife cousin uncle aunt grandmother horse dog cat bird wolf bear fox whale fish tree flower rose apple bread wine coffee tea cake soup chocolate cheese recipe dinner breakfast lunch table chair window wall street road train ship plane station market shop library museum church hospital prison garden'.split(
    ' ',
  );
const ADJECTIVES =
  'silent hidden lost golden dark bright ancient modern quiet wild gentle broken secret distant little great last first final strange beautiful cold warm deep small'.split(
    ' ',
  );

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

/** A synthetic catalog item with a title of 3-6 words and a 30-80-word description. */
function syntheticItem(rng: Rng, i: number): Record<string, unknown> {
  const title = `The ${pick(rng, ADJECTIVES)} ${pick(rng, WORDS)} of the ${pick(rng, WORDS)}`;
  const words = 30 + Math.floor(rng() * 51);
  const description = Array.from({ length: words }, () => pick(rng, WORDS)).join(' ');
  return {
    id: `sku-${i}`,
    title: title.charAt(0).toUpperCase() + title.slice(1),
    description: `${description.charAt(0).toUpperCase()}${description.slice(1)}.`,
    tags: [pick(rng, WORDS), pick(rng, WORDS)],
    category: `cat-${Math.floor(rng() * 20)}`,
    price: Math.round(rng() * 10000) / 100,
    currency: 'EUR',
    url: `https://shop.example/p/${i}`,
    available: rng() > 0.1,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(x: number, digits = 3): number {
  return Number(x.toFixed(digits));
}

async function loadRealEncoder(): Promise<Encoder | string> {
  if (!existsSync(new URL('../src/encoder/index.ts', import.meta.url)))
    return 'src/encoder/index.ts is missing';
  try {
    const { createEncoder } = (await import('../src/encoder/index.ts')) as {
      createEncoder: () => Promise<Encoder>;
    };
    return await createEncoder();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function ingest(log: (m: string) => void): Promise<BenchFigures> {
  const encoder = await loadRealEncoder();
  if (typeof encoder === 'string') {
    log(`catalog: encoder missing (${encoder}); no ingest figures`);
    return {
      'ingest.encoder': `missing: ${encoder}`,
      'ingest.items_per_s_10k': null,
      'ingest.seconds_10k': null,
    };
  }
  const rng = seededRng(7);
  const records = Array.from({ length: 10_000 }, (_, i) => syntheticItem(rng, i));
  const text = JSON.stringify(records);
  let embedSeconds = 0;
  const timed: Encoder = {
    ...encoder,
    info: encoder.info,
    embed: async (texts) => {
      const t = performance.now();
      const out = await encoder.embed(texts);
      embedSeconds += (performance.now() - t) / 1000;
      return out;
    },
  };
  await timed.embed(['warm up the encoder']);
  embedSeconds = 0;
  const dbName = `hearth-bench-${Date.now()}`;
  const service = createCatalogService({ encoder: timed, dbName });
  await service.ready();
  log('catalog: ingesting 10k items');
  const started = performance.now();
  const result = await service.load(text);
  const seconds = (performance.now() - started) / 1000;
  if (!result.ok) throw new Error(`ingest failed: ${result.error.message}`);
  const bytes = await storeBytes(dbName, result.count);
  await service.close();
  await encoder.dispose();
  return {
    'ingest.encoder': `${encoder.info.id}@${encoder.info.version}`,
    'ingest.items_per_s_10k': Math.round(10_000 / seconds),
    'ingest.seconds_10k': round(seconds),
    'ingest.embed_seconds_10k': round(embedSeconds),
    ...bytes,
  };
}

/** Structured-clone bytes of every catalog record, per item (V8 serialisation, as Chromium stores values). */
async function storeBytes(dbName: string, count: number): Promise<BenchFigures> {
  const db = await openHearthDB(dbName);
  let total = 0;
  let text = 0;
  const encoder = new TextEncoder();
  for (const item of await db.getAll('items')) {
    total += serialize(item).byteLength;
    text += encoder.encode(
      item.title + item.description + item.tags.join('') + (item.category ?? ''),
    ).byteLength;
  }
  for (const v of await db.getAll('vectors')) total += serialize(v).byteLength;
  for (const s of await db.getAll('sync')) total += serialize(s).byteLength;
  db.close();
  return {
    'store.bytes_per_item': Math.round(total / count),
    'store.bytes_per_item_beyond_text': Math.round((total - text) / count),
  };
}

function search(kind: VectorKind, log: (m: string) => void): BenchFigures {
  const rng = seededRng(11);
  const dims = 100;
  const n = 100_000;
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    vector: Float32Array.from({ length: dims }, () => gaussian(rng)),
    category: `c${i % 20}`,
    available: i % 10 !== 0,
  }));
  const index = VectorIndex.build(rows, { dims, kind });
  const queries = Array.from({ length: 1000 }, () =>
    Float32Array.from({ length: dims }, () => gaussian(rng)),
  );
  for (let i = 0; i < 50; i++) index.topK(queries[i]!, 20);
  const plain: number[] = [];
  const filtered: number[] = [];
  const exclude = Array.from({ length: 50 }, (_, i) => `i${i * 997}`);
  for (const q of queries) {
    let t = performance.now();
    index.topK(q, 20);
    plain.push(performance.now() - t);
    t = performance.now();
    index.topK(q, 20, { availableOnly: true, excludeIds: exclude });
    filtered.push(performance.now() - t);
  }
  plain.sort((a, b) => a - b);
  filtered.sort((a, b) => a - b);
  log(`catalog: search ${kind} p95 ${percentile(plain, 0.95).toFixed(2)} ms`);
  const suffix = kind === 'f32' ? '' : `_${kind}`;
  const extra: BenchFigures = {};
  if (kind === 'i8') {
    // int8 storage is exact over its own (quantised) vectors; against float32 it is approximate.
    const exact = VectorIndex.build(rows, { dims, kind: 'f32' });
    let found = 0;
    for (const q of queries.slice(0, 200)) {
      const truth = new Set(exact.topK(q, 10).map((h) => h.id));
      found += index.topK(q, 10).filter((h) => truth.has(h.id)).length;
    }
    extra['search.i8_recall_at_10_vs_f32'] = round(found / 2000, 4);
  }
  return {
    [`search.p50_ms_100k${suffix}`]: round(percentile(plain, 0.5)),
    [`search.p95_ms_100k${suffix}`]: round(percentile(plain, 0.95)),
    [`search.p95_ms_100k_filtered${suffix}`]: round(percentile(filtered, 0.95)),
    ...extra,
  };
}

/** The same search in headless Chromium, inside a module worker (needs /usr/bin/chromium). */
async function browserSearch(log: (m: string) => void): Promise<BenchFigures> {
  const { CHROMIUM_PATH, startBrowserHarness } = await import('../support/browser-harness.ts');
  if (!existsSync(CHROMIUM_PATH))
    return { 'browser.search_p95_ms_100k': `no Chromium at ${CHROMIUM_PATH}` };
  const harness = await startBrowserHarness();
  try {
    const page = await harness.newPage();
    await page.goto(`${harness.baseUrl}/test/browser/pages/catalog-bench.html`);
    await page.waitForFunction(
      () => (window as unknown as { catalogBenchReady?: boolean }).catalogBenchReady === true,
    );
    type Run = (o: object) => Promise<{ p50: number; p95: number }>;
    const figures = await page.evaluate(
      (options) => (window as unknown as { runSearchBench: Run }).runSearchBench(options),
      { n: 100_000, dims: 100, queries: 1000, kind: 'f32' },
    );
    log(`catalog: browser search p95 ${figures.p95.toFixed(2)} ms`);
    return {
      'browser.search_p50_ms_100k': round(figures.p50),
      'browser.search_p95_ms_100k': round(figures.p95),
    };
  } finally {
    await harness.close();
  }
}

const suite: BenchSuite = {
  name: 'catalog',
  async run({ log }) {
    return {
      ...search('f32', log),
      ...search('i8', log),
      ...(await ingest(log)),
      ...(await browserSearch(log).catch((error: unknown) => ({
        'browser.search_p95_ms_100k': `failed: ${error instanceof Error ? error.message : String(error)}`,
      }))),
    };
  },
};

export default suite;
