import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from '../../src/eval/metrics/spearman.ts';
import { parseStsb, StsFormatError } from '../../src/eval/stsb.ts';

describe('spearman', () => {
  it('gives tied values their average rank', () => {
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('is 1 for a monotone relation and -1 for a reversed one', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('matches a hand-computed value with ties', () => {
    // ranks a: [1, 2.5, 2.5, 4]; ranks b: [1, 3, 2, 4] → pearson of ranks = 4.5 / sqrt(4.5 * 5)
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5), 12);
  });

  it('is NaN (not 0) when one side is constant or inputs are too short', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(pearson([1, 2], [1, 2, 3])).toBeNaN();
  });
});

describe('parseStsb', () => {
  it('reads score and both sentences from tab-separated lines', () => {
    const text = 'g\tf\t2012\t0001\t4.5\tA cat sits.\tA cat is sitting.\textra\n\n';
    expect(parseStsb(text)).toEqual([{ score: 4.5, a: 'A cat sits.', b: 'A cat is sitting.' }]);
  });

  it('names the line of a malformed row', () => {
    expect(() => parseStsb('ok\tline\n', 'x.csv')).toThrow(StsFormatError);
    expect(() => parseStsb('ok\tline\n', 'x.csv')).toThrow(
      /x\.csv:1: expected 7 tab-separated columns/,
    );
  });
});
