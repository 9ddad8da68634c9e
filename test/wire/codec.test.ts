import { describe, expect, it } from 'vitest';
import { randomUpdateId } from '../../src/federated/random-id.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';
import { decodeBase64 } from '../../src/wire/base64.ts';
import { decodeQ8, encodeQ8, q8ByteLength, q8Norm } from '../../src/wire/quantize.ts';
import { decodeUpdateFrame, encodeUpdateFrame } from '../../src/wire/update-codec.ts';

describe('update codec', () => {
  it('round-trips an f32 frame exactly', () => {
    const values = Float32Array.of(1.5, -2, 0, 3e-8);
    const header = {
      v: 1 as const,
      kind: 'update' as const,
      id: randomUpdateId(seededRng(1)),
      model: 'collab',
      modelVersion: 3,
      length: 4,
      encoding: 'f32' as const,
    };
    const out = decodeUpdateFrame(encodeUpdateFrame(header, values));
    expect(out.header).toEqual(header);
    expect(Array.from(out.values())).toEqual(Array.from(values));
    expect(out.norm().norm).toBeCloseTo(Math.hypot(1.5, 2, 0, 3e-8), 6);
  });

  it('q8 rounds every value to within half a step of its block and keeps zeros at zero', () => {
    // Arrange: random blocks with one large value and many zeros.
    const rng = seededRng(5);
    const values = Float32Array.from({ length: 256 }, (_, i) =>
      i % 7 === 0 ? gaussian(rng) * 10 : gaussian(rng),
    );
    values.fill(0, 64, 96);
    values[70] = 3;
    // Act
    const bytes = encodeQ8(values);
    const decoded = decodeQ8(bytes, values.length);
    // Assert
    for (let b = 0; b < values.length / 32; b++) {
      const block = values.subarray(b * 32, (b + 1) * 32);
      const step = Math.max(...Array.from(block, Math.abs)) / 127;
      for (let i = b * 32; i < (b + 1) * 32; i++) {
        expect(Math.abs((decoded[i] ?? 0) - (values[i] ?? 0))).toBeLessThanOrEqual(step / 2 + 1e-6);
        if (values[i] === 0) expect(decoded[i]).toBe(0);
      }
    }
    expect(q8ByteLength(256)).toBe(256 + 32);
    expect(q8Norm(bytes, values.length).norm).toBeCloseTo(Math.hypot(...decoded), 4);
  });

  it('decodes base64 like Buffer', () => {
    for (const n of [0, 1, 2, 3, 10]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);
      expect(Array.from(decodeBase64(Buffer.from(bytes).toString('base64')))).toEqual(
        Array.from(bytes),
      );
    }
  });

  it('makes 22-character URL-safe ids', () => {
    expect(randomUpdateId(seededRng(9))).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
