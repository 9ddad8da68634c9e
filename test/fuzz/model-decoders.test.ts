/**
 * Fuzzing the model decoders: the collab and sequence files (src/models/*-format.ts), the ranker
 * and collab manifests (src/models/*-manifest.ts) and the encoder manifest
 * (src/encoder/manifest.ts). Random bytes and JSON, frames with random headers, and mutated valid
 * files; valid generated models round-trip. Inputs stay small (a few hundred bytes): the binary
 * decoders are synchronous, and the encoder manifest runs under fast-check's timeout plugin.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncoderModelError } from '../../src/encoder/errors.ts';
import { type ModelFiles, readManifest } from '../../src/encoder/manifest.ts';
import { type CollabModel, CollabModelError } from '../../src/engine/collab-model.ts';
import { FEATURE_NAMES } from '../../src/engine/features.ts';
import { type SequenceModel, SequenceModelError } from '../../src/engine/sequence-model.ts';
import { parseCollab, serializeCollab } from '../../src/models/collab-format.ts';
import { parseCollabManifest } from '../../src/models/collab-manifest.ts';
import { parseRankerManifest, RankerError } from '../../src/models/ranker-manifest.ts';
import { parseSequence, serializeSequence } from '../../src/models/sequence-format.ts';
import {
  FUZZ_TIMEOUT_MS,
  fuzzParams,
  hostileJson,
  hostileString,
  mutateBytes,
  mutateObject,
  rawFrame,
} from './helpers.ts';

/** Runs `decode`; a failure must be `errorClass` with a message naming what and where. */
function decodesOrRejectsCleanly(
  decode: () => unknown,
  errorClass: new (...args: never[]) => Error,
  where: RegExp,
): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof errorClass)) throw error;
    expect(error.message).toMatch(where);
  }
}

const sha = fc.stringMatching(/^[0-9a-f]{64}$/);
const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n });

const collabModel: fc.Arbitrary<CollabModel> = fc
  .record({
    version: fc.string({ maxLength: 8 }),
    dims: fc.integer({ min: 1, max: 4 }),
    n: fc.nat(5),
  })
  .chain(({ version, dims, n }) =>
    fc
      .record({
        itemIds: fc.array(hostileString, { minLength: n, maxLength: n }),
        history: floats(n * dims),
        target: floats(n * dims),
        bias: floats(n),
      })
      .map((arrays) => ({ version, dims, ...arrays })),
  );

const sequenceModel: fc.Arbitrary<SequenceModel> = fc
  .record({ version: fc.string({ maxLength: 8 }), n: fc.integer({ min: 1, max: 5 }) })
  .chain(({ version, n }) =>
    fc
      .array(fc.array(fc.nat(n - 1), { maxLength: 3 }), { minLength: n, maxLength: n })
      .chain((rows) => {
        const edges = rows.reduce((sum, row) => sum + row.length, 0);
        return fc
          .record({
            itemIds: fc.array(hostileString, { minLength: n, maxLength: n }),
            weights: floats(edges),
          })
          .map(({ itemIds, weights }): SequenceModel => {
            const offsets = new Uint32Array(n + 1);
            rows.forEach((row, a) => {
              offsets[a + 1] = (offsets[a] ?? 0) + row.length;
            });
            return {
              version,
              itemIds,
              offsets,
              neighbours: Uint32Array.from(rows.flat()),
              weights,
            };
          });
      }),
  );

/** A random header object shaped like the binary files' headers, with wrong values mixed in. */
const fileHeader = fc.record(
  {
    format: fc.oneof(fc.constant(1), hostileJson(0)),
    version: fc.oneof(fc.string({ maxLength: 6 }), hostileJson(0)),
    dims: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), hostileJson(0)),
    itemIds: fc.oneof(fc.array(hostileString, { maxLength: 4 }), hostileJson(1)),
    edges: fc.oneof(fc.integer({ min: -2, max: 8 }), hostileJson(0)),
  },
  { requiredKeys: [] },
);

/** A binary model file to attack: random bytes, a frame with a random header, or a mutated file. */
function binaryInputs(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc
      .tuple(
        fc.constantFrom('HCOL', 'HSEQ'),
        fc.oneof(fileHeader, hostileJson(2)),
        fc.uint8Array({ maxLength: 120 }),
      )
      .map(([magic, header, tail]) =>
        rawFrame(magic, new TextEncoder().encode(JSON.stringify(header)), tail),
      ),
    valid.chain(mutateBytes),
  );
}

const BINARY_WHERE = /magic|header|bytes?\b|offsets|neighbour|edges|values/;

describe('fuzz: collab and sequence model files', { timeout: FUZZ_TIMEOUT_MS }, () => {
  it('parseCollab never crashes: a model or a CollabModelError naming the part (10,000 cases)', () => {
    fc.assert(
      fc.property(binaryInputs(collabModel.map(serializeCollab)), (bytes) =>
        decodesOrRejectsCleanly(() => parseCollab(bytes), CollabModelError, BINARY_WHERE),
      ),
      fuzzParams(301),
    );
  });

  it('parseSequence never crashes: a model or a SequenceModelError naming the part (10,000 cases)', () => {
    fc.assert(
      fc.property(binaryInputs(sequenceModel.map(serializeSequence)), (bytes) =>
        decodesOrRejectsCleanly(() => parseSequence(bytes), SequenceModelError, BINARY_WHERE),
      ),
      fuzzParams(302),
    );
  });

  it('round-trips generated collab and sequence models bit for bit (10,000 cases)', () => {
    fc.assert(
      fc.property(collabModel, sequenceModel, (collab, sequence) => {
        expect(parseCollab(serializeCollab(collab))).toEqual(collab);
        expect(parseSequence(serializeSequence(sequence))).toEqual(sequence);
      }),
      fuzzParams(303),
    );
  });
});

const rankerManifest = fc.record({
  version: fc.string({ minLength: 1, maxLength: 12 }),
  features: fc.constant([...FEATURE_NAMES]),
  weights: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
    minLength: FEATURE_NAMES.length,
    maxLength: FEATURE_NAMES.length,
  }),
  bias: fc.double({ noNaN: true, noDefaultInfinity: true }),
  onnx: fc.string({ minLength: 1, maxLength: 12 }),
  sha256: sha,
});

const collabManifest = fc.record(
  {
    version: fc.string({ minLength: 1, maxLength: 12 }),
    file: fc.string({ minLength: 1, maxLength: 12 }),
    sha256: sha,
    sequence: fc.record({
      file: fc.string({ minLength: 1, maxLength: 12 }),
      sha256: sha,
      version: fc.string({ minLength: 1, maxLength: 12 }),
    }),
  },
  { requiredKeys: ['version', 'file', 'sha256'] },
);

const encoderManifest = fc.record({
  id: fc.string({ minLength: 1, maxLength: 12 }),
  version: fc.string({ minLength: 1, maxLength: 12 }),
  dims: fc.integer({ min: 1, max: 1024 }),
  vocabSize: fc.integer({ min: 1, max: 1e6 }),
  maxTokens: fc.integer({ min: 1, max: 4096 }),
  dtype: fc.constantFrom('q8' as const, 'fp32' as const),
  files: fc.dictionary(
    // zod's record drops a '__proto__' key (no model file can be called that): not generated.
    fc.string({ minLength: 1, maxLength: 10 }).filter((name) => name !== '__proto__'),
    fc.record({ bytes: fc.nat(), sha256: sha }),
    { maxKeys: 3 },
  ),
});

/** Random JSON, or a valid manifest with fields dropped, replaced or added. */
function manifestInputs(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(hostileJson(3), valid.chain(mutateObject));
}

/** A manifest error names the field (`path: message`) or the whole file (`root`). */
const MANIFEST_WHERE = /\((?:[\w.]+|root): |features \[/;

describe('fuzz: model manifests', { timeout: FUZZ_TIMEOUT_MS }, () => {
  const manifestParsers = [
    {
      name: 'parseRankerManifest',
      inputs: manifestInputs(rankerManifest),
      parse: (json: unknown) => parseRankerManifest(json, 'ranker/manifest.json'),
      errorClass: RankerError,
      seed: 311,
    },
    {
      name: 'parseCollabManifest',
      inputs: manifestInputs(collabManifest),
      parse: (json: unknown) => parseCollabManifest(json, 'collab/manifest.json'),
      errorClass: CollabModelError,
      seed: 312,
    },
  ];
  for (const { name, inputs, parse, errorClass, seed } of manifestParsers) {
    it(`${name} never crashes: a manifest or a ${errorClass.name} naming the field (10,000 cases)`, () => {
      fc.assert(
        fc.property(inputs, (json) =>
          decodesOrRejectsCleanly(() => parse(json), errorClass, MANIFEST_WHERE),
        ),
        fuzzParams(seed),
      );
    });
  }

  it('readManifest (encoder) never crashes on any bytes: a manifest or an EncoderModelError naming the field (10,000 cases)', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      manifestInputs(encoderManifest).map((json) =>
        new TextEncoder().encode(JSON.stringify(json) ?? ''),
      ),
      encoderManifest.chain((m) => mutateBytes(new TextEncoder().encode(JSON.stringify(m)))),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (file) => {
        const files: ModelFiles = { location: 'fuzz/', read: async () => file };
        try {
          await readManifest(files);
        } catch (error) {
          if (!(error instanceof EncoderModelError)) throw error;
          expect(error.file).toBe('manifest.json');
          expect(error.message).toMatch(/\((?:.*\b[\w.]+|\(root\)): |JSON/);
        }
      }),
      { ...fuzzParams(313), plugins: [fc.timeout(1000)] },
    );
  });

  it('round-trips generated manifests through JSON (10,000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        rankerManifest,
        collabManifest,
        encoderManifest,
        async (ranker, collab, encoder) => {
          const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
          expect(parseRankerManifest(viaJson(ranker), 'r')).toEqual(viaJson(ranker));
          expect(parseCollabManifest(viaJson(collab), 'c')).toEqual(collab);
          const file = new TextEncoder().encode(JSON.stringify(encoder));
          expect(await readManifest({ location: 'e', read: async () => file })).toEqual(encoder);
        },
      ),
      fuzzParams(314),
    );
  });
});

describe('model decoder messages name the field', () => {
  it('names the field of a bad encoder manifest, not only the problem', async () => {
    // Arrange
    const file = new TextEncoder().encode(JSON.stringify({ id: 'x', version: '1', dims: -1 }));
    // Act
    const read = readManifest({ location: 'models/x', read: async () => file });
    // Assert
    await expect(read).rejects.toThrow(/\(dims: Too small.*; vocabSize: /);
  });

  it('names the declared and the actual size of a collab file whose payload is cut', () => {
    // Arrange
    const model: CollabModel = {
      version: 'v',
      dims: 2,
      itemIds: ['a'],
      history: Float32Array.of(1, 2),
      target: Float32Array.of(3, 4),
      bias: Float32Array.of(5),
    };
    const bytes = serializeCollab(model).subarray(0, -4);
    // Act
    const act = () => parseCollab(bytes);
    // Assert
    expect(act).toThrow(/file is \d+ bytes, the header \(1 items × 2 dims\) implies \d+/);
  });
});
