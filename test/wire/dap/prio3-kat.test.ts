/**
 * Known-answer tests: the VDAF-08 Prio3 vectors (test/fixtures/vdaf-08, see its README) run
 * through our decoders at the wire level: shard with the vector's randomness → decode the hex
 * input shares → prepareInit → decode the preparation shares → combine → decode the preparation
 * message → prepareNext → aggregate → decode the aggregate shares → unshard, each stage compared
 * with the vector's bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field64 } from '@divviup/field';
import { Prio3, Prio3Count, Prio3Histogram, Prio3Sum, Prio3SumVec } from '@divviup/prio3';
import { SumVec } from '@divviup/prio3/dist/circuits/sumVec.js';
import { FlpGeneric } from '@divviup/prio3/dist/genericFlp.js';
import { XofTurboShake128 } from '@divviup/xof';
import { Buffer } from 'buffer';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AnyPrio3, Prio3Codec } from '../../../src/wire/dap/prio3-codec.ts';

const hex = z.string().regex(/^[0-9a-f]*$/);
const VectorSchema = z.object({
  verify_key: hex,
  shares: z.number().int(),
  length: z.number().int().optional(),
  bits: z.number().int().optional(),
  chunk_length: z.number().int().optional(),
  agg_result: z.unknown(),
  agg_shares: z.array(hex),
  prep: z.array(
    z.object({
      measurement: z.unknown(),
      nonce: hex,
      rand: hex,
      public_share: hex,
      input_shares: z.array(hex),
      prep_shares: z.array(z.array(hex)),
      prep_messages: z.array(hex),
      out_shares: z.array(z.array(hex)),
    }),
  ),
});
type Vector = z.infer<typeof VectorSchema>;

const bytes = (h: string) => Buffer.from(h, 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
// Prio3Sum's unshard returns a bigint; the vectors hold numbers.
const normalise = (x: unknown) =>
  JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

function load(name: string): Vector {
  const path = join(import.meta.dirname, '../../fixtures/vdaf-08', `${name}.json`);
  return VectorSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

function param(v: Vector, key: 'length' | 'bits' | 'chunk_length'): number {
  const value = v[key];
  if (value === undefined) throw new Error(`vector has no ${key}`);
  return value;
}

/** Runs one vector through shard → our decoders → prepare → aggregate → unshard. */
async function runVector(vdaf: AnyPrio3, v: Vector, measurement = (m: unknown) => m) {
  const codec = new Prio3Codec(vdaf);
  const verifyKey = bytes(v.verify_key);
  const outShares: bigint[][][] = Array.from({ length: v.shares }, () => []);
  for (const prep of v.prep) {
    const nonce = bytes(prep.nonce);
    const sharded = await vdaf.shardEncoded(measurement(prep.measurement), nonce, bytes(prep.rand));
    expect(toHex(sharded.publicShare)).toBe(prep.public_share);
    expect(sharded.inputShares.map(toHex)).toEqual(prep.input_shares);

    const inits = await Promise.all(
      prep.input_shares.map(async (share, j) =>
        vdaf.prepareInit(
          verifyKey,
          j,
          null,
          nonce,
          codec.decodePublicShare(bytes(prep.public_share)),
          await codec.decodeInputShare(j, bytes(share)),
        ),
      ),
    );
    expect(inits.map((x) => toHex(vdaf.encodePreparationShare(x.preparationShare)))).toEqual(
      prep.prep_shares[0],
    );

    const prepShares = (prep.prep_shares[0] ?? []).map((h) => codec.decodePrepShare(bytes(h)));
    const prepMessage = await vdaf.unshardPreparationShares(null, prepShares);
    expect(toHex(vdaf.encodePreparationMessage(prepMessage))).toBe(prep.prep_messages[0]);

    inits.forEach((x, j) => {
      const out = vdaf.prepareNext(
        x.preparationState,
        codec.decodePrepMessage(bytes(prep.prep_messages[0] ?? '')),
      );
      if (!('outputShare' in out)) throw new Error('Prio3 finishes in one round');
      expect(vdaf.encodeTestVectorOutputShare(out.outputShare)).toEqual(prep.out_shares[j]);
      outShares[j]?.push(out.outputShare);
    });
  }
  expect(
    outShares.map((os) => toHex(vdaf.encodeAggregatorShare(vdaf.aggregate(null, os)))),
  ).toEqual(v.agg_shares);
  const result = vdaf.unshard(
    null,
    v.agg_shares.map((h) => codec.decodeAggregateShare(bytes(h))),
    v.prep.length,
  );
  expect(normalise(result)).toBe(normalise(v.agg_result));
}

describe('Prio3 known-answer vectors (VDAF-08) through our decoders', () => {
  for (const i of [0, 1]) {
    it(`Prio3Count_${i} reproduces every stage`, async () => {
      const v = load(`Prio3Count_${i}`);
      await runVector(new Prio3Count({ shares: v.shares }), v, (m) => m !== 0);
    });

    it(`Prio3Sum_${i} reproduces every stage`, async () => {
      const v = load(`Prio3Sum_${i}`);
      await runVector(new Prio3Sum({ shares: v.shares, bits: param(v, 'bits') }), v);
    });

    it(`Prio3Histogram_${i} reproduces every stage`, async () => {
      const v = load(`Prio3Histogram_${i}`);
      const vdaf = new Prio3Histogram({
        shares: v.shares,
        length: param(v, 'length'),
        chunkLength: param(v, 'chunk_length'),
      });
      await runVector(vdaf, v);
    });

    it(`Prio3SumVec_${i} reproduces every stage`, async () => {
      const v = load(`Prio3SumVec_${i}`);
      const vdaf = new Prio3SumVec({
        shares: v.shares,
        length: param(v, 'length'),
        bits: param(v, 'bits'),
        chunkLength: param(v, 'chunk_length'),
      });
      await runVector(vdaf, v);
    });

    it(`Prio3SumVecField64Multiproof_${i} (3 proofs) reproduces every stage`, async () => {
      const v = load(`Prio3SumVecField64Multiproof_${i}`);
      const circuit = new SumVec(
        new Field64(),
        param(v, 'length'),
        param(v, 'bits'),
        param(v, 'chunk_length'),
      );
      await runVector(
        new Prio3(XofTurboShake128, new FlpGeneric(circuit), v.shares, 3, 0xffffffff),
        v,
      );
    });
  }

  it('rejects a leader input share one byte short, naming the expected length', async () => {
    // Arrange
    const v = load('Prio3SumVec_0');
    const codec = new Prio3Codec(
      new Prio3SumVec({ shares: 2, length: 10, bits: 8, chunkLength: 9 }),
    );
    const share = bytes(v.prep[0]?.input_shares[0] ?? '');

    // Act / Assert
    await expect(codec.decodeInputShare(0, share.subarray(1))).rejects.toThrow(
      `leader input share has ${share.length - 1} bytes; the task needs ${share.length}`,
    );
  });
});
