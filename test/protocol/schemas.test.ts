import { describe, expect, it } from 'vitest';
import {
  ErrorBodySchema,
  RoundConfigSchema,
  RoundSettingsSchema,
  TelemetryBatchSchema,
  UpdateHeaderSchema,
} from '../../src/protocol/index.ts';

const header = {
  v: 1,
  kind: 'update',
  id: 'abcdefghijklmnop',
  model: 'collab',
  modelVersion: 0,
  length: 4,
  encoding: 'q8',
};

describe('wire schemas', () => {
  it('accept a valid update header and reject unknown fields, other versions and short ids', () => {
    expect(UpdateHeaderSchema.safeParse(header).success).toBe(true);
    expect(UpdateHeaderSchema.safeParse({ ...header, userId: 'x' }).success).toBe(false);
    expect(UpdateHeaderSchema.safeParse({ ...header, v: 2 }).success).toBe(false);
    expect(UpdateHeaderSchema.safeParse({ ...header, id: 'short' }).success).toBe(false);
  });

  it('limit telemetry batches to 500 integer reports without identifiers', () => {
    const batch = { v: 2, kind: 'telemetry', mechanism: 'olh', epsilon: 2, reports: [[1, 2]] };
    expect(TelemetryBatchSchema.safeParse(batch).success).toBe(true);
    expect(
      TelemetryBatchSchema.safeParse({
        ...batch,
        reports: Array.from({ length: 501 }, () => [1, 2]),
      }).success,
    ).toBe(false);
    expect(TelemetryBatchSchema.safeParse({ ...batch, reports: [[-1, 2]] }).success).toBe(false);
    expect(TelemetryBatchSchema.safeParse({ ...batch, sessionId: 'x' }).success).toBe(false);
  });

  it('validate round config and settings', () => {
    const round = {
      v: 1,
      kind: 'round',
      model: 'collab',
      modelVersion: 3,
      length: 10,
      clipNorm: 1,
      noiseMultiplier: 0.5,
      minUpdates: 16,
      deadline: 0,
      localSteps: 1,
      learningRate: 1,
      maxUpdateNorm: 5,
    };
    expect(RoundConfigSchema.parse(round)).toEqual(round);
    expect(RoundSettingsSchema.safeParse({ clipNorm: -1 }).success).toBe(false);
    expect(
      ErrorBodySchema.safeParse({ error: { code: 'invalid', message: 'm', reasons: ['a'] } })
        .success,
    ).toBe(true);
  });
});
