import 'fake-indexeddb/auto';
import { MessageChannel } from 'node:worker_threads';
import { expose, proxy, type Remote, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogApi } from '../../src/catalog/catalog.api.ts';
import type { SyncProgress } from '../../src/catalog/progress.ts';
import { createCatalogService } from '../../src/catalog/service.ts';
import { type CatalogWorkerApi, catalogWorkerApi } from '../../src/worker/catalog-part.ts';
import { books, countingEncoder, freshDbName } from '../catalog/helpers.ts';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function connect(service: CatalogApi): Remote<{ catalog: CatalogWorkerApi }> {
  const channel = new MessageChannel();
  channels.push(channel);
  expose(
    { catalog: catalogWorkerApi(service) },
    channel.port1 as unknown as Parameters<typeof expose>[1],
  );
  return wrap<{ catalog: CatalogWorkerApi }>(
    channel.port2 as unknown as Parameters<typeof wrap>[0],
  );
}

describe('catalogWorkerApi over comlink', () => {
  it('loads with proxied progress, searches, and transfers vector buffers instead of copying', async () => {
    // Arrange
    const service = createCatalogService({ encoder: countingEncoder(), dbName: freshDbName() });
    const remote = connect(service);
    const progress: SyncProgress[] = [];
    // Act
    const loaded = await remote.catalog.load(
      books(4),
      {},
      proxy((p: SyncProgress) => void progress.push(p)),
    );
    const hits = await remote.catalog.search({ text: 'dragons', k: 2 });
    const block = await remote.catalog.getVectors(['b1']);
    const served = await service.getVectors(['b1']);
    // Assert
    expect(loaded).toMatchObject({ ok: true, count: 4 });
    expect(hits[0]?.id).toBe('b1');
    expect(block.data).toBeInstanceOf(Float32Array);
    expect([...block.data]).toEqual([...served.data]);
    expect(progress.at(-1)?.phase).toBe('done');
    await service.close();
  });

  it('moves the vector buffer across the port (the sender side is detached)', async () => {
    // Arrange
    const service = createCatalogService({ encoder: countingEncoder(), dbName: freshDbName() });
    await service.load(books(2));
    let handedOut: Float32Array | null = null;
    const spying: CatalogApi = {
      ...service,
      getVectors: async (ids) => {
        const block = await service.getVectors(ids);
        handedOut = block.data;
        return block;
      },
    };
    const remote = connect(spying);
    // Act
    const block = await remote.catalog.getVectors(['b0', 'b1']);
    // Assert
    expect(block.data.length).toBe(64);
    expect(handedOut).not.toBeNull();
    expect((handedOut as unknown as Float32Array).buffer.byteLength).toBe(0);
    await service.close();
  });
});
