import { describe, expect, it } from 'vitest';
import { createDotKernel, dotKernelBytes } from '../../src/search/simd-dots.ts';
import { gaussian, seededRng } from '../../src/shared/rng.ts';

describe('WebAssembly SIMD dot kernel', () => {
  it('assembles a valid module', () => {
    // Arrange
    const bytes = dotKernelBytes();
    // Act
    const valid = WebAssembly.validate(bytes);
    // Assert
    expect(valid).toBe(true);
    expect(bytes.length).toBeLessThan(256);
  });

  it('scores every row like a float64 reference, across memory growth', () => {
    // Arrange
    const rng = seededRng(3);
    const rows = 1000;
    const stride = 68; // 272 KB of rows: the memory grows past its first 64 KB page
    const kernel = createDotKernel(rows, stride);
    if (kernel === null) throw new Error('Node 20 supports WebAssembly SIMD');
    for (let i = 0; i < rows * stride; i++) kernel.data[i] = gaussian(rng);
    for (let j = 0; j < stride; j++) kernel.query[j] = gaussian(rng);
    // Act
    kernel.run();
    // Assert
    for (let r = 0; r < rows; r++) {
      let expected = 0;
      for (let j = 0; j < stride; j++) expected += kernel.data[r * stride + j]! * kernel.query[j]!;
      expect(kernel.scores[r]).toBeCloseTo(expected, 4);
    }
  });

  it('refuses a stride that is not a multiple of 4', () => {
    // Arrange / Act / Assert
    expect(createDotKernel(10, 6)).toBeNull();
  });
});
