import { expose, wrap } from 'comlink';
import { describe, expect, it, vi } from 'vitest';
import {
  createEncoderWorkerApi,
  type EncoderWorkerApi,
  packEmbeddings,
  remoteEncoder,
  unpackEmbeddings,
} from '../../src/encoder/index.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';

describe('encoder worker API', () => {
  it('round-trips vectors through one packed buffer', async () => {
    const encoder = createFakeEncoder(16);
    const batch = await encoder.embedDetailed(['red apple', '', 'green pear']);
    const unpacked = unpackEmbeddings(packEmbeddings(batch, 16));
    expect(unpacked.vectors.map((v) => Array.from(v))).toEqual(
      batch.vectors.map((v) => Array.from(v)),
    );
    expect(unpacked.empty).toEqual([false, true, false]);
  });

  it('serves embed() over a real MessageChannel with comlink, same results as direct', async () => {
    const direct = createFakeEncoder(16);
    const { port1, port2 } = new MessageChannel();
    expose(
      createEncoderWorkerApi(async () => createFakeEncoder(16)),
      port1,
    );
    const remote = await remoteEncoder(wrap<EncoderWorkerApi>(port2));
    const texts = ['the quick fox', 'lazy dog', ''];
    const [got, want] = await Promise.all([
      remote.embedDetailed(texts),
      direct.embedDetailed(texts),
    ]);
    expect(remote.info.dims).toBe(16);
    expect(got.vectors.map((v) => Array.from(v))).toEqual(want.vectors.map((v) => Array.from(v)));
    expect(got.empty).toEqual(want.empty);
    port1.close();
    port2.close();
  });

  it('shares one model load between concurrent callers and retries after a failure', async () => {
    const factory = vi
      .fn<() => Promise<ReturnType<typeof createFakeEncoder>>>()
      .mockRejectedValueOnce(new Error('model missing'))
      .mockImplementation(async () => createFakeEncoder(8));
    const api = createEncoderWorkerApi(factory);
    await expect(api.load()).rejects.toThrow('model missing');
    const infos = await Promise.all([api.load(), api.load(), api.embed(['x'])]);
    expect(factory).toHaveBeenCalledTimes(2);
    expect(infos[0]).toEqual(infos[1]);
  });
});
