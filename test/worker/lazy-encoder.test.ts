import { describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/encoder/types.ts';
import { EncoderIdentityError, manifestFirstEncoder } from '../../src/worker/lazy-encoder.ts';
import { createFakeEncoder } from '../../support/fake-encoder.ts';

const manifest = (body: object | null) => async () =>
  body === null ? new Response('missing', { status: 404 }) : Response.json(body);

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('manifestFirstEncoder', () => {
  it('names the model from the manifest before the model has loaded, then embeds with it', async () => {
    // Arrange
    const real = createFakeEncoder(8);
    const pending = deferred<Encoder>();
    let loads = 0;
    const encoder = await manifestFirstEncoder({
      manifestUrl: 'https://x/models/m/manifest.json',
      load: () => {
        loads++;
        return pending.promise;
      },
      fetch: manifest({ id: real.info.id, version: real.info.version, dims: 8 }),
    });
    // Act
    const info = encoder.info;
    const loadsBeforeUse = loads;
    const embedding = encoder.embed(['hello world']);
    encoder.warm();
    pending.resolve(real);
    // Assert
    expect(info).toEqual({ id: real.info.id, version: real.info.version, dims: 8, maxTokens: 512 });
    expect(await embedding).toEqual(await real.embed(['hello world']));
    expect([loadsBeforeUse, loads]).toEqual([0, 1]);
  });

  it('refuses a loaded model that does not match the manifest', async () => {
    // Arrange
    const real = createFakeEncoder(8);
    const encoder = await manifestFirstEncoder({
      manifestUrl: 'https://x/models/m/manifest.json',
      load: async () => real,
      fetch: manifest({ id: real.info.id, version: 'other', dims: 8 }),
    });
    // Act / Assert
    await expect(encoder.embed(['a'])).rejects.toBeInstanceOf(EncoderIdentityError);
  });

  it('waits for the model when there is no manifest', async () => {
    // Arrange
    const real = createFakeEncoder(4);
    // Act
    const encoder = await manifestFirstEncoder({
      manifestUrl: 'https://x/models/m/manifest.json',
      load: async () => real,
      fetch: manifest(null),
    });
    // Assert
    expect(encoder.info).toBe(real.info);
    expect(await encoder.embed(['a b'])).toEqual(await real.embed(['a b']));
  });
});
