import { describe, expect, it } from 'vitest';
import { serializeCollab } from '../../src/models/collab-format.ts';
import { createCollabModel } from '../../src/models/collab-gradient.ts';
import { serializeSequence } from '../../src/models/sequence-format.ts';
import { trainSequenceModel } from '../../src/models/sequence-train.ts';
import { sha256Hex } from '../../src/shared/hash.ts';
import { seededRng } from '../../src/shared/rng.ts';
import { fetchCollabModels } from '../../src/worker/collab-loader.ts';

const ids = ['a', 'b', 'c'];

/** A fetch answering from a map of URL paths (404 otherwise). */
function fakeFetch(
  files: Record<string, { body: string | Uint8Array<ArrayBuffer>; type: string }>,
): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const path = new URL(String(input)).pathname;
    const file = files[path];
    return file
      ? new Response(file.body, { headers: { 'content-type': file.type } })
      : new Response('missing', { status: 404 });
  }) as typeof fetch;
}

async function deployed(tamper = false) {
  const collab = new Uint8Array(serializeCollab(createCollabModel(ids, 2, seededRng(1), 'c-test')));
  const sequence = new Uint8Array(serializeSequence(trainSequenceModel(ids, [[0, 1, 2]])));
  const manifest = {
    version: 'c-test',
    file: 'collab.bin',
    sha256: await sha256Hex(collab),
    sequence: {
      file: 'sequence.bin',
      sha256: tamper ? '0'.repeat(64) : await sha256Hex(sequence),
      version: 'sequence-v1',
    },
  };
  const bin = 'application/octet-stream';
  return fakeFetch({
    '/models/collab/manifest.json': { body: JSON.stringify(manifest), type: 'application/json' },
    '/models/collab/collab.bin': { body: collab, type: bin },
    '/models/collab/sequence.bin': { body: sequence, type: bin },
  });
}

const base = { modelsUrl: 'http://localhost/models/' };

describe('fetchCollabModels', () => {
  it('loads and verifies both models from the manifest', async () => {
    const models = await fetchCollabModels({ ...base, fetch: await deployed() });
    expect(models.collab?.version).toBe('c-test');
    expect(models.sequence?.itemIds).toEqual(ids);
  });

  it('returns no models when none are deployed (404 or an HTML fallback page)', async () => {
    const none = await fetchCollabModels({ ...base, fetch: fakeFetch({}) });
    const html = await fetchCollabModels({
      ...base,
      fetch: fakeFetch({ '/models/collab/manifest.json': { body: '<html>', type: 'text/html' } }),
    });
    expect(none).toEqual({ collab: null, sequence: null });
    expect(html).toEqual({ collab: null, sequence: null });
  });

  it('rejects a file whose sha256 differs from the manifest', async () => {
    await expect(fetchCollabModels({ ...base, fetch: await deployed(true) })).rejects.toThrow(
      /sha256 .* redeploy the models\/collab\/ folder of the build/,
    );
  });
});
