/**
 * Decoders of Prio3 (VDAF draft 08) messages, built only from `@divviup/prio3`'s own pieces: the
 * library encodes every message but decodes none, and an aggregator receives them as bytes. Here
 * are only byte lengths, slicing and library calls (`field.decode`, the XOF's `expandIntoVec`,
 * `vdaf.domainSeparationTag`, `field.add`/`field.sub`): no field arithmetic, proof or hash of ours.
 * Also the Prio3SumVec every Hearth task uses, and the signed reading of a noisy field sum.
 */
import type { Prio3 } from '@divviup/prio3';
import { Prio3SumVec } from '@divviup/prio3';
import { Buffer } from 'buffer';
import { DapDecodeError } from './tls.ts';

/** Any Prio3 instance (measurement and result types do not matter to the codec). */
export type AnyPrio3 = Prio3<unknown, unknown>;

/** The library's (unexported) message types, named through its method signatures. */
export type Prio3PublicShare = Parameters<AnyPrio3['prepareInit']>[4];
export type Prio3InputShare = Parameters<AnyPrio3['prepareInit']>[5];
export type Prio3PrepShare = Parameters<AnyPrio3['encodePreparationShare']>[0];
export type Prio3PrepMessage = Parameters<AnyPrio3['encodePreparationMessage']>[0];
export type Prio3PrepState = Parameters<AnyPrio3['prepareNext']>[0];

// VDAF-08 §7.2: the usage numbers of Prio3's domain separation (the library's `Usage` enum is
// not exported; these are the values it holds).
const USAGE_MEASUREMENT_SHARE = 1;
const USAGE_PROOF_SHARE = 2;

/** The Prio3SumVec parameters of a task (VDAF-08: Field128, one proof, two aggregators). */
export interface SumVecParams {
  readonly length: number;
  readonly bits: number;
  readonly chunkLength: number;
}

/** A Prio3SumVec for two aggregators, the VDAF every Hearth task uses. */
export function sumVecVdaf(params: SumVecParams): Prio3SumVec {
  return new Prio3SumVec({
    shares: 2,
    length: params.length,
    bits: params.bits,
    chunkLength: params.chunkLength,
  });
}

/** Wire decoders for one Prio3 instance. */
export class Prio3Codec {
  readonly seedSize: number;
  readonly elementSize: number;
  readonly usesJointRand: boolean;

  constructor(readonly vdaf: AnyPrio3) {
    this.seedSize = vdaf.xof.seedSize;
    this.elementSize = vdaf.flp.field.encodedSize;
    this.usesJointRand = vdaf.flp.jointRandLen > 0;
  }

  #check(what: string, got: number, want: number): void {
    if (got !== want) throw new DapDecodeError(`${what} has ${got} bytes; the task needs ${want}`);
  }

  /** Bytes of the leader's input share (measurement and proof vectors, blind). */
  get leaderInputShareBytes(): number {
    const { flp, proofs } = this.vdaf;
    const blind = this.usesJointRand ? this.seedSize : 0;
    return (flp.measurementLen + flp.proofLen * proofs) * this.elementSize + blind;
  }

  /**
   * A public share (one joint-randomness part per aggregator). Always a fresh object: the
   * library's prepareInit overwrites the caller's own part in it.
   */
  decodePublicShare(bytes: Uint8Array): Prio3PublicShare {
    const parts = this.usesJointRand ? this.vdaf.shares : 0;
    this.#check('public share', bytes.length, parts * this.seedSize);
    return {
      jointRandParts: Array.from({ length: parts }, (_, i) =>
        Buffer.from(bytes.subarray(i * this.seedSize, (i + 1) * this.seedSize)),
      ),
    };
  }

  /**
   * An input share: the leader's (aggregator 0) holds the measurement and proof share vectors,
   * a helper's holds two seeds that the library's XOF expands into them.
   */
  async decodeInputShare(aggregatorId: number, bytes: Uint8Array): Promise<Prio3InputShare> {
    const { vdaf, seedSize, elementSize } = this;
    const { flp, xof, proofs } = vdaf;
    const field = flp.field;
    if (aggregatorId === 0) {
      this.#check('leader input share', bytes.length, this.leaderInputShareBytes);
      const measurementEnd = flp.measurementLen * elementSize;
      const proofEnd = measurementEnd + flp.proofLen * proofs * elementSize;
      const wireMeasurementShare = Buffer.from(bytes.subarray(0, measurementEnd));
      const wireProofShare = Buffer.from(bytes.subarray(measurementEnd, proofEnd));
      return {
        measurementShare: field.decode(wireMeasurementShare),
        proofsShare: field.decode(wireProofShare),
        wireMeasurementShare,
        wireProofShare,
        blind: Buffer.from(bytes.subarray(proofEnd)),
      };
    }
    const blind = this.usesJointRand ? seedSize : 0;
    this.#check('helper input share', bytes.length, 2 * seedSize + blind);
    const wireMeasurementShare = Buffer.from(bytes.subarray(0, seedSize));
    const wireProofShare = Buffer.from(bytes.subarray(seedSize, 2 * seedSize));
    const measurementShare = await xof.expandIntoVec(
      field,
      wireMeasurementShare,
      vdaf.domainSeparationTag(USAGE_MEASUREMENT_SHARE),
      Uint8Array.of(aggregatorId),
      flp.measurementLen,
    );
    const proofsShare = await xof.expandIntoVec(
      field,
      wireProofShare,
      vdaf.domainSeparationTag(USAGE_PROOF_SHARE),
      Uint8Array.of(proofs, aggregatorId),
      flp.proofLen * proofs,
    );
    return {
      measurementShare,
      proofsShare,
      wireMeasurementShare,
      wireProofShare,
      blind: Buffer.from(bytes.subarray(2 * seedSize)),
    };
  }

  /** A preparation share: the verifier share vector and the joint-randomness part. */
  decodePrepShare(bytes: Uint8Array): Prio3PrepShare {
    const { flp, proofs } = this.vdaf;
    const verifierBytes = flp.verifierLen * proofs * this.elementSize;
    this.#check(
      'preparation share',
      bytes.length,
      verifierBytes + (this.usesJointRand ? this.seedSize : 0),
    );
    return {
      verifiersShare: flp.field.decode(bytes.subarray(0, verifierBytes)),
      jointRandomnessPart: Buffer.from(bytes.subarray(verifierBytes)),
    };
  }

  /** A preparation message: the joint-randomness seed (empty without joint randomness). */
  decodePrepMessage(bytes: Uint8Array): Prio3PrepMessage {
    this.#check('preparation message', bytes.length, this.usesJointRand ? this.seedSize : 0);
    return { jointRand: Buffer.from(bytes) };
  }

  /** An aggregate (or output) share: a vector of the output length. */
  decodeAggregateShare(bytes: Uint8Array): bigint[] {
    const { flp } = this.vdaf;
    this.#check('aggregate share', bytes.length, flp.outputLen * this.elementSize);
    return flp.field.decode(bytes);
  }

  /** The all-zero aggregate share. */
  zeroAggregateShare(): bigint[] {
    return this.vdaf.aggregate(null, []);
  }

  /** The encoded sum of two encoded aggregate shares (a null one counts as zero). */
  addEncodedShares(a: Uint8Array | null, b: Uint8Array): Uint8Array<ArrayBuffer> {
    const shares = [this.decodeAggregateShare(b)];
    if (a !== null) shares.unshift(this.decodeAggregateShare(a));
    return new Uint8Array(this.vdaf.encodeAggregatorShare(this.vdaf.aggregate(null, shares)));
  }

  /**
   * An aggregate share plus integer noise, entry by entry, in the field: a negative value enters
   * as its field representative, computed by the library (`field.sub(0, |v|)`).
   */
  addIntegers(share: readonly bigint[], values: readonly bigint[]): bigint[] {
    const field = this.vdaf.flp.field;
    if (values.length !== share.length)
      throw new DapDecodeError(`noise has ${values.length} entries, the share ${share.length}`);
    const asField = values.map((v) => (v < 0n ? field.sub(0n, -v) : field.add(0n, v)));
    return this.vdaf.aggregate(null, [[...share], asField]);
  }

  /**
   * The integer a field sum stands for when it may be negative (a noisy sum of small counts):
   * representatives above (p − 1)/2 are read as −(p − x), with p − x computed by the library.
   */
  toSigned(sum: readonly bigint[]): bigint[] {
    const field = this.vdaf.flp.field;
    const half = field.modulus / 2n;
    return sum.map((x) => (x > half ? -field.sub(0n, x) : x));
  }

  /** The field sum of both aggregators' shares, through the library's aggregation. */
  sumShares(shares: readonly (readonly bigint[])[]): bigint[] {
    return this.vdaf.aggregate(
      null,
      shares.map((s) => [...s]),
    );
  }
}
