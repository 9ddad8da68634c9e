import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyRetention, createMemoryEventLog } from '../../src/engine/events.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import { createMemoryPromptStore } from '../../src/engine/prompt-store.ts';
import { linearRanker } from '../../src/engine/ranker.ts';
import { createEngineService } from '../../src/engine/service.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { createIndexedDbEventLog } from '../../src/store/event-log.ts';
import { deleteAllHearthDatabases, listHearthDatabases } from '../../src/store/schema.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';
import { bookContext } from './fixture.ts';

const at = 1_700_000_000_000;
const ranker = linearRanker('test', [1, 1, 1, 0.5, 1, 1, 0.5, 0, -1, 4, 1], 0);

async function service(dbName: string, promptStore = createMemoryPromptStore()) {
  const { items, vectors } = await bookContext();
  const catalog = { snapshot: async () => ({ items, vectors, dims: 64, version: 'c1' }) };
  return createEngineService({
    catalog,
    encoder: createFakeEncoder(64),
    ranker,
    events: createIndexedDbEventLog(undefined, dbName),
    promptStore,
    forgetStorage: deleteAllHearthDatabases,
    rng: seededRng(1),
    now: () => at + 10,
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('engine service', () => {
  it('the prompt never reaches IndexedDB or fetch', async () => {
    // Arrange
    const engine = await service('hearth-test-prompt');
    const fetchSpy = vi.fn();
    vi.stubGlobal('fetch', fetchSpy);
    const writes: unknown[] = [];
    for (const method of ['put', 'add'] as const) {
      const original = IDBObjectStore.prototype[method];
      vi.spyOn(IDBObjectStore.prototype, method).mockImplementation(function (
        this: IDBObjectStore,
        ...args
      ) {
        writes.push(args);
        return original.apply(this, args as Parameters<typeof original>);
      });
    }
    // Act
    await engine.track({ kind: 'view', itemId: 'b1', at });
    const recs = await engine.recommend({
      limit: 3,
      prompt: 'secret wish: cozy tea, nothing dark',
    });
    // Assert
    expect(recs.length).toBe(3);
    expect(writes.length).toBeGreaterThan(0);
    expect(JSON.stringify(writes)).not.toMatch(/secret|wish|tea/);
    expect(fetchSpy).not.toHaveBeenCalled();
    vi.unstubAllGlobals();
  });

  it('keeps a prompt only when the caller opts in, and forget() drops it', async () => {
    // Arrange
    const store = createMemoryPromptStore();
    const engine = await service('hearth-test-remember', store);
    await engine.track({ kind: 'view', itemId: 'b5', at });
    // Act
    await engine.recommend({ limit: 3, prompt: 'cozy tea mystery' });
    const afterPlain = await store.load();
    const opted = await engine.recommend({
      limit: 3,
      prompt: 'cozy tea mystery',
      rememberPrompt: true,
    });
    const afterOptIn = await store.load();
    const reused = await engine.recommend({ limit: 3 });
    await engine.forget();
    // Assert
    expect(afterPlain).toBeNull();
    expect(afterOptIn).toBe('cozy tea mystery');
    // The top of the list follows the remembered prompt (the last slot may be the explore slot).
    expect(reused.slice(0, 2).map((r) => r.itemId)).toEqual(opted.slice(0, 2).map((r) => r.itemId));
    expect(reused[0]!.reason.kind).toBe('prompt');
    expect(await store.load()).toBeNull();
  });

  it('tracks events in IndexedDB and forget() leaves no Hearth database behind', async () => {
    const engine = await service('hearth-test-forget');
    await engine.track({ kind: 'like', itemId: 'b2', at });
    await engine.track({ kind: 'view', itemId: 'not-in-catalog-yet', at: at + 1 });
    expect((await engine.events()).map((e) => e.itemId)).toEqual(['b2', 'not-in-catalog-yet']);
    expect(await listHearthDatabases()).toContain('hearth-test-forget');
    await engine.forget();
    const left = (await indexedDB.databases()).map((d) => d.name);
    expect(left.filter((n) => n === 'hearth' || n?.startsWith('hearth-'))).toEqual([]);
  });

  it('never returns an excluded item, even the best match', async () => {
    // Arrange
    const engine = await service('hearth-test-exclude');
    await engine.track({ kind: 'like', itemId: 'b1', at });
    const first = await engine.recommend({ limit: 3 });
    const best = first[0]!.itemId;
    // Act
    const excluded = await engine.recommend({ limit: 3, exclude: [best] });
    // Assert
    expect(excluded.map((r) => r.itemId)).not.toContain(best);
    expect(excluded).toHaveLength(3);
    await engine.forget();
  });

  it('rejects malformed events with an actionable message', async () => {
    const engine = await service('hearth-test-bad');
    await expect(engine.track({ kind: 'stare' as 'view', itemId: 'b1', at })).rejects.toThrow(
      /kind must be one of/,
    );
    await engine.forget();
  });
});

describe('retention', () => {
  it('keeps the newest maxEvents within maxAgeDays', () => {
    const day = 86_400_000;
    const events = [0, 1, 2, 3].map((i) => ({
      kind: 'view' as const,
      itemId: `i${i}`,
      at: i * day,
    }));
    const kept = applyRetention(events, { maxAgeDays: 2, maxEvents: 2 }, 3 * day);
    expect(kept.map((e) => e.itemId)).toEqual(['i2', 'i3']);
  });

  it('the memory and IndexedDB logs apply the same limits', async () => {
    const retention = { maxAgeDays: 1000, maxEvents: 3 };
    const logs = [
      createMemoryEventLog(retention),
      createIndexedDbEventLog(retention, 'hearth-test-ret'),
    ];
    for (const log of logs) {
      for (let i = 0; i < 5; i++) await log.append({ kind: 'click', itemId: `x${i}`, at: at + i });
      expect((await log.list()).map((e) => e.itemId)).toEqual(['x2', 'x3', 'x4']);
    }
  });

  it('builds training data from the visitor’s own events: positive items and ranking examples', async () => {
    // Arrange
    const engine = await service('hearth-test-training');
    const kinds = ['view', 'view', 'dismiss', 'like', 'view', 'click'] as const;
    const items = ['b1', 'b2', 'b5', 'b3', 'b4', 'b2'];
    for (const [i, kind] of kinds.entries())
      await engine.track({ kind, itemId: items[i]!, at: at + i * 60_000 });
    // Act
    const data = await engine.trainingData(3);
    // Assert: the dismissed item is not a positive; up to 3 examples, each labelled in range.
    expect(data.items).toEqual(['b1', 'b2', 'b3', 'b4', 'b2']);
    expect(data.rankingExamples.length).toBeGreaterThan(0);
    expect(data.rankingExamples.length).toBeLessThanOrEqual(3);
    for (const g of data.rankingExamples) {
      expect(g.positive).toBeGreaterThanOrEqual(0);
      expect(g.positive).toBeLessThan(g.count);
    }
  });
});

describe('engine service: ranker', () => {
  it('scores with a ranker set later (the promoted version) from the next request on', async () => {
    // Arrange
    const engine = await service('hearth-test-set-ranker');
    await engine.track({ kind: 'view', itemId: 'b1', at });
    await engine.setPopularity({ b7: 50, b8: 40, b5: 5 });
    const top = async () => (await engine.recommend({ limit: 3 })).map((r) => r.itemId);
    const before = await top();
    // Act: a ranker that only looks at popularity (b7 is the most popular).
    const popularity = FEATURE_NAMES.map((name) => (name === 'popularity' ? 10 : 0));
    await engine.setRanker(linearRanker('popularity-only', popularity, 0));
    const after = await top();
    // Assert
    expect(before.slice(0, 2)).not.toEqual(['b7', 'b8']);
    expect(after.slice(0, 2)).toEqual(['b7', 'b8']);
  });
});
