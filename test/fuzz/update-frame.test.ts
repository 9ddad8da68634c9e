/**
 * Fuzzing the update frame decoder (src/wire/update-codec.ts): random bytes, frames with random
 * JSON headers, and mutated valid frames. Inputs are at most a few hundred bytes (the decoder is
 * synchronous: the size bounds each case's time).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UPDATE_MAGIC, type UpdateHeader } from '../../src/protocol/update.ts';
import { decodeQ8, encodeQ8, Q8_BLOCK } from '../../src/wire/quantize.ts';
import {
  decodeUpdateFrame,
  encodeUpdateFrame,
  UpdateFrameError,
} from '../../src/wire/update-codec.ts';
import { FUZZ_TIMEOUT_MS, fuzzParams, hostileJson, mutateBytes, rawFrame } from './helpers.ts';

/** Every reason names the part of the frame it is about. */
const WHERE = /preamble|magic|'HUPD'|header|bytes?\b|body/;

const header: fc.Arbitrary<UpdateHeader> = fc.record({
  v: fc.constant(1 as const),
  kind: fc.constant('update' as const),
  id: fc.stringMatching(/^[A-Za-z0-9_-]{16,24}$/),
  model: fc.constantFrom('collab', 'ranker', 'x'),
  modelVersion: fc.nat(9),
  length: fc.integer({ min: 1, max: 70 }),
  encoding: fc.constantFrom('f32' as const, 'q8' as const),
});

const validFrame = header.chain((h) =>
  fc
    .float32Array({ minLength: h.length, maxLength: h.length })
    .map((values) => ({ header: h, values, bytes: encodeUpdateFrame(h, values) })),
);

/** Decodes and uses the frame as the server does; any failure must be an UpdateFrameError. */
function decodesOrRejectsCleanly(bytes: Uint8Array): void {
  try {
    const frame = decodeUpdateFrame(bytes);
    expect(frame.values().length).toBe(frame.header.length);
    const { finite, norm } = frame.norm();
    expect(finite ? Number.isFinite(norm) : Number.isNaN(norm)).toBe(true);
  } catch (error) {
    if (!(error instanceof UpdateFrameError)) throw error;
    expect(error.reasons.length).toBeGreaterThan(0);
    for (const reason of error.reasons) expect(reason).toMatch(WHERE);
  }
}

describe('fuzz: update frame decoder', { timeout: FUZZ_TIMEOUT_MS }, () => {
  it('never crashes on random bytes, random headers or mutated frames (10,000 cases)', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(hostileJson(2), fc.uint8Array({ maxLength: 300 }))
        .map(([json, tail]) =>
          rawFrame(UPDATE_MAGIC, new TextEncoder().encode(JSON.stringify(json)), tail),
        ),
      validFrame.chain(({ bytes }) => mutateBytes(bytes)),
    );
    fc.assert(fc.property(input, decodesOrRejectsCleanly), fuzzParams(201));
  });

  it('round-trips valid frames: f32 exactly, q8 within half a step, up to the float32 maximum (10,000 cases)', () => {
    fc.assert(
      fc.property(validFrame, ({ header: h, values, bytes }) => {
        // Act
        const frame = decodeUpdateFrame(bytes);
        const decoded = frame.values();
        // Assert
        expect(frame.header).toEqual(h);
        if (h.encoding === 'f32') {
          expect(Array.from(decoded)).toEqual(Array.from(values));
          return;
        }
        for (let b = 0; b < h.length; b += Q8_BLOCK) {
          const block = Array.from(values.subarray(b, b + Q8_BLOCK));
          if (!block.every(Number.isFinite)) continue;
          const step = Math.max(...block.map(Math.abs)) / 127;
          block.forEach((v, i) => {
            // A scale below float32's subnormal step rounds to it: 127 codes × 2^-150 of slack.
            const slack = step * 1e-6 + 127 * 2 ** -150;
            expect(Math.abs((decoded[b + i] ?? 0) - v)).toBeLessThanOrEqual(step / 2 + slack);
          });
        }
      }),
      fuzzParams(202),
    );
  });

  it('says where a header is not JSON: its byte range and the parser message', () => {
    // Arrange
    const bytes = rawFrame(UPDATE_MAGIC, new TextEncoder().encode('{"v":1,'), new Uint8Array(4));
    // Act
    const act = () => decodeUpdateFrame(bytes);
    // Assert
    expect(act).toThrow(/header \(7 bytes from byte 8\) is not valid JSON: .*position 7/);
  });
});

describe('q8 at the top of the float32 range (found by fuzzing)', () => {
  it('decodes the largest float32 to a finite value, not Infinity', () => {
    // Arrange: max/127 rounds up in float32, and 127 × that scale overflowed to Infinity.
    const values = Float32Array.of(3.4028234663852886e38, 0, -1);
    // Act
    const decoded = decodeQ8(encodeQ8(values), values.length);
    // Assert
    expect(Number.isFinite(decoded[0])).toBe(true);
    expect(decoded[0]).toBeGreaterThan(3.4e38);
  });
});
