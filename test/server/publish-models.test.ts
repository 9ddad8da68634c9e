/**
 * The collector's model step: a collected histogram (and later a pair-count batch) rebuilds the
 * private item-item model from the newest releases and the catalog's public fields, stored as a
 * new *candidate* version of `cooccurrence`; devices use `cooccurrence.served`, which only the
 * operator's promotion writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cooccurrenceModelOf } from '../../src/models/cooccurrence-format.ts';
import {
  histogramMeasurement,
  pairCountsMeasurement,
  taskParts,
} from '../../src/models/private-tasks.ts';
import { CooccurrenceLayoutSchema } from '../../src/protocol/cooccurrence.ts';
import type { DapMeasurement, DapTask } from '../../src/protocol/dap.ts';
import { servedName } from '../../src/protocol/model.ts';
import { publishResult } from '../../src/server/dap/publish.ts';
import { publishCooccurrence } from '../../src/server/dap/publish-models.ts';
import { openDapStorage } from '../../src/server/dap/storage.ts';
import { openServerStorage } from '../../src/server/storage.ts';
import { base64url } from '../../src/wire/dap/tls.ts';

const IDS = Array.from({ length: 12 }, (_, i) => `book-${i}`);

let open: { close(): void }[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

/** A leader's storages with a catalog whose items have a year. */
function collector() {
  const dap = openDapStorage(':memory:');
  const server = openServerStorage(':memory:');
  open.push(dap, server);
  IDS.forEach((id, i) => {
    server.upsertItem(id, JSON.stringify({ id, title: id, year: 1990 + i }), 1, false);
  });
  return { dap, server, now: () => 1_000 };
}

/** A published task document for `m` at ρ 0.5 (stored on the leader). */
function publishTask(deps: ReturnType<typeof collector>, seed: number, m: DapMeasurement): DapTask {
  const doc: DapTask = {
    v: 1,
    id: base64url(new Uint8Array(32).fill(seed)),
    name: m.kind,
    measurement: m,
    ...taskParts(m, 0.5),
    window: { start: 0, end: 86_400_000 },
    timePrecisionSeconds: 3_600,
    minBatch: 3,
    leader: 'https://leader.example/dap/',
    helper: 'https://helper.example/dap/',
  };
  deps.dap.insertTask(
    {
      id: doc.id,
      body: JSON.stringify(doc),
      verifyKey: new Uint8Array(16),
      collectorConfig: new Uint8Array(8),
    },
    0,
  );
  return doc;
}

const POPULARITY = IDS.map((_, i) => 400 - 30 * i);

describe('publishing the private item-item model', () => {
  it('a collected histogram creates a candidate cooccurrence version, not cooccurrence.served', () => {
    // Arrange
    const deps = collector();
    const doc = publishTask(deps, 1, histogramMeasurement(IDS));
    // Act
    const summary = publishResult(deps, doc, 500, POPULARITY);
    // Assert
    expect(summary.model).toMatchObject({
      name: 'cooccurrence',
      version: 0,
      items: IDS.length,
      pairs: 0,
      kernel: 'year (τ 3)',
    });
    expect(deps.server.latestVersion('cooccurrence')).toBe(0);
    expect(deps.server.latestVersion(servedName('cooccurrence'))).toBeNull();
    const stored = deps.server.latestModel('cooccurrence')!;
    const layout = CooccurrenceLayoutSchema.parse(JSON.parse(stored.layout!));
    expect(layout.sources).toEqual([
      { taskId: doc.id, kind: 'item-histogram', reports: 500, rho: 0.5, sigma: doc.noise.sigma },
    ]);
    expect(cooccurrenceModelOf(layout, stored.params, 'candidate').itemIds).toEqual(IDS);
  });

  it('a pair-count release adds the pairs to the next candidate, built from both newest releases', () => {
    // Arrange
    const deps = collector();
    publishResult(deps, publishTask(deps, 1, histogramMeasurement(IDS)), 500, POPULARITY);
    const pairs = pairCountsMeasurement(IDS, POPULARITY, null);
    const doc = publishTask(deps, 2, pairs);
    // A strong count on the first cell, nothing on the others.
    const sum = pairs.cells.map((_, c) => (c === 0 ? 5_000 : 0));
    // Act
    const summary = publishResult(deps, doc, 500, sum);
    // Assert
    expect(summary.published).toEqual({ kind: 'released', entries: pairs.cells.length });
    expect(summary.model).toMatchObject({ name: 'cooccurrence', version: 1, pairs: 1 });
    const layout = CooccurrenceLayoutSchema.parse(
      JSON.parse(deps.server.latestModel('cooccurrence')!.layout!),
    );
    expect(layout.sources.map((s) => s.kind)).toEqual(['item-histogram', 'pair-counts']);
    expect(deps.server.latestVersion(servedName('cooccurrence'))).toBeNull();
  });

  it('publishes nothing twice when the same batch is collected again', () => {
    const deps = collector();
    const doc = publishTask(deps, 1, histogramMeasurement(IDS));
    publishResult(deps, doc, 500, POPULARITY);
    const again = publishResult(deps, doc, 500, POPULARITY);
    expect(again.fresh).toBe(false);
    expect(deps.server.latestVersion('cooccurrence')).toBe(0);
  });

  it('builds no model from pair counts alone (the histogram is required)', () => {
    const deps = collector();
    const pairs = pairCountsMeasurement(IDS, POPULARITY, null);
    const summary = publishResult(
      deps,
      publishTask(deps, 2, pairs),
      500,
      pairs.cells.map(() => 9),
    );
    expect(summary.model).toBeUndefined();
    expect(publishCooccurrence(deps, 1e-6)).toBeNull();
    expect(deps.server.latestVersion('cooccurrence')).toBeNull();
  });
});
