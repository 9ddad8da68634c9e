import { describe, expect, it } from 'vitest';
import { checkRecommendRequest } from '../../src/worker/create-engine-worker.ts';
import { WorkerRequestError } from '../../src/worker/errors.ts';

describe('engine worker contract', () => {
  it('takes a well-formed recommend request, exclude included', () => {
    expect(checkRecommendRequest({ limit: 4, prompt: 'tea', exclude: ['a'] })).toEqual({
      limit: 4,
      prompt: 'tea',
      exclude: ['a'],
    });
  });

  it('rejects a request with a bad field, naming the field and the fix', () => {
    expect(() => checkRecommendRequest({ limit: 0 })).toThrow(WorkerRequestError);
    expect(() => checkRecommendRequest({ limit: 0 })).toThrow(
      /recommend\(\): limit: .*limit: 1–50/,
    );
    expect(() => checkRecommendRequest({ limit: 3, exclude: 'a' })).toThrow(/exclude/);
    expect(() => checkRecommendRequest(null)).toThrow(/recommend\(\)/);
  });
});
