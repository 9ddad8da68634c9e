import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../src/federated/base64.ts';
import { decodeQ8, encodeQ8, q8ByteLength, q8Norm } from '../../src/federated/quantize.ts';
import { randomUpdateId } from '../../src/federated/random-id.ts';
import { decodeUpdateFrame, encodeUpdateFrame } from '../../src/federated/update-codec.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';

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
    const out = decodeUpdateFrame(encodeUpdateFrame(header, values, seededRng(2)));
    expect(out.header).toEqual(header);
    expect(Array.from(out.values())).toEqual(Array.from(values));
    expect(out.norm().norm).toBeCloseTo(Math.hypot(1.5, 2, 0, 3e-8), 6);
  });

  it('q8 stochastic rounding is unbiased with error below one step per coordinate', () => {
    // Arrange
    const rng = seededRng(5);
    const values = Float32Array.from({ length: 256 }, () => gaussian(rng));
    const trials = 400;
    const mean = new Float64Array(values.length);
    // Act
    for (let t = 0; t < trials; t++) {
      const decoded = decodeQ8(encodeQ8(values, rng), values.length);
      for (let i = 0; i < values.length; i++) mean[i] = (mean[i] ?? 0) + (decoded[i] ?? 0) / trials;
    }
    // Assert: each step is ≤ max|x|/127 ≈ 0.03; the mean of 400 draws is within 4 sd of x.
    let worst = 0;
    for (let i = 0; i < values.length; i++)
      worst = Math.max(worst, Math.abs((mean[i] ?? 0) - (values[i] ?? 0)));
    expect(worst).toBeLessThan((4 * 0.5 * 0.03) / Math.sqrt(trials) + 1e-3);
    expect(q8ByteLength(256)).toBe(256 + 32);
    const bytes = encodeQ8(values, rng);
    const decoded = decodeQ8(bytes, values.length);
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
