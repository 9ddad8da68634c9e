/**
 * The device's half of a federated evaluation: which event is held out, and the engine's rank of
 * it under the served model and under a candidate (src/engine/held-out.ts, the engine service's
 * `heldOutRanks`).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventLog } from '../../src/engine/events.ts';
import { holdOutLast } from '../../src/engine/held-out.ts';
import { createMemoryPromptStore } from '../../src/engine/prompt-store.ts';
import { linearRanker } from '../../src/engine/ranker.ts';
import { createEngineService } from '../../src/engine/service.ts';
import type { EngineEvent } from '../../src/engine/types.ts';
import { DEFAULT_USER_STATE_CONFIG } from '../../src/engine/user-state.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';
import { cooccurrenceModel } from '../federated/support/cooccurrence-models.ts';
import { bookContext } from './fixture.ts';

const at = 1_700_000_000_000;
/** The fixture's weights with a strong item-item weight, so the private model decides. */
const ranker = linearRanker('test', [1, 1, 1, 0.5, 1, 1, 0.5, 0, -1, 4, 10], 0);

async function engineWith(events: readonly EngineEvent[]) {
  const { items, vectors } = await bookContext();
  const log = createMemoryEventLog();
  for (const e of events) await log.append(e);
  const service = createEngineService({
    catalog: { snapshot: async () => ({ items, vectors, dims: 64, version: 'c1' }) },
    encoder: createFakeEncoder(64),
    ranker,
    events: log,
    promptStore: createMemoryPromptStore(),
    forgetStorage: async () => undefined,
  });
  return { service, ids: items.map((i) => i.id) };
}

describe('held-out split', () => {
  const rowOf = new Map(['b1', 'b2', 'b7'].map((id, row) => [id, row]));
  const view = (itemId: string, t: number): EngineEvent => ({ kind: 'view', itemId, at: at + t });

  it('holds out the last positive event on a catalog item, with every event before it as history', () => {
    // Arrange: a dislike and an item outside the catalog come after the last counted view.
    const events = [
      view('b1', 1),
      view('b2', 2),
      view('b7', 3),
      { kind: 'dislike', itemId: 'b1', at: at + 4 } as const,
      view('gone', 5),
    ];
    // Act
    const split = holdOutLast({ rowOf }, events, DEFAULT_USER_STATE_CONFIG);
    // Assert
    expect(split?.target).toEqual(view('b7', 3));
    expect(split?.history).toEqual(events.slice(0, 2));
  });

  it('holds out nothing for a visitor with fewer than 2 positive events on catalog items', () => {
    // Arrange
    const one = [view('b1', 1), view('gone', 2), { kind: 'dislike', itemId: 'b2', at } as const];
    // Act + Assert
    expect(holdOutLast({ rowOf }, one, DEFAULT_USER_STATE_CONFIG)).toBeNull();
    expect(holdOutLast({ rowOf }, [], DEFAULT_USER_STATE_CONFIG)).toBeNull();
  });
});

describe('engine service: held-out ranks of two item-item models', () => {
  it('ranks the held-out item higher with a candidate whose pairs lead from the history to it', async () => {
    // Arrange: the visitor viewed b1 (cozy mystery), then b7 (gardening); the served model links
    // b1 to b8, the candidate links b1 to b7.
    const { service, ids } = await engineWith([
      { kind: 'view', itemId: 'b1', at },
      { kind: 'view', itemId: 'b7', at: at + 60_000 },
    ]);
    const served = cooccurrenceModel(ids, [['b1', 'b8', 10]]);
    const candidate = cooccurrenceModel(ids, [['b1', 'b7', 10]]);
    // Act
    const ranks = await service.heldOutRanks({ served, candidate }, 5);
    const swapped = await service.heldOutRanks({ served: candidate, candidate: served }, 5);
    // Assert
    expect(ranks).not.toBeNull();
    expect(ranks?.candidateRank).toBe(0);
    expect(ranks?.servedRank === null || (ranks?.servedRank ?? 0) > 0).toBe(true);
    expect(swapped).toEqual({ servedRank: ranks?.candidateRank, candidateRank: ranks?.servedRank });
  });

  it('compares a first candidate with the engine as it runs without the model (served: null)', async () => {
    // Arrange
    const { service, ids } = await engineWith([
      { kind: 'view', itemId: 'b1', at },
      { kind: 'view', itemId: 'b7', at: at + 60_000 },
    ]);
    // Act
    const ranks = await service.heldOutRanks(
      { served: null, candidate: cooccurrenceModel(ids, [['b1', 'b7', 10]]) },
      5,
    );
    // Assert: without the model b7 is far from a cozy mystery.
    expect(ranks?.candidateRank).toBe(0);
    expect(ranks?.servedRank === null || (ranks?.servedRank ?? 0) > 0).toBe(true);
  });

  it('gives no ranks for a visitor with one positive event', async () => {
    // Arrange
    const { service, ids } = await engineWith([{ kind: 'view', itemId: 'b1', at }]);
    const model = cooccurrenceModel(ids, [['b1', 'b7', 10]]);
    // Act + Assert
    expect(await service.heldOutRanks({ served: null, candidate: model }, 5)).toBeNull();
  });
});
