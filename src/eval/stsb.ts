import { readFile } from 'node:fs/promises';
import type { Encoder } from '../encoder/types.ts';
import { spearman } from './metrics/spearman.ts';

/** One STS-B pair with its 0–5 gold similarity. */
export interface StsPair {
  readonly score: number;
  readonly a: string;
  readonly b: string;
}

/** A line of an STS-B file that could not be read. */
export class StsFormatError extends Error {
  override readonly name = 'StsFormatError';
}

/**
 * Parses the STS Benchmark's tab-separated form: genre, file, year, id, score, sentence1,
 * sentence2 (extra trailing columns, e.g. sources, are ignored).
 */
export function parseStsb(text: string, source = 'input'): StsPair[] {
  const pairs: StsPair[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const cols = line.split('\t');
    const score = Number(cols[4]);
    if (cols.length < 7 || !Number.isFinite(score)) {
      throw new StsFormatError(
        `${source}:${index + 1}: expected 7 tab-separated columns with a numeric score in column 5, got ${cols.length} columns. Is this the STS-B sts-dev.csv / sts-test.csv file?`,
      );
    }
    pairs.push({ score, a: cols[5]!, b: cols[6]! });
  });
  if (pairs.length === 0) throw new StsFormatError(`${source}: no sentence pairs found`);
  return pairs;
}

/** Reads an STS-B file; the error says which path is missing. */
export async function readStsb(path: string): Promise<StsPair[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StsFormatError(
      `cannot read STS-B file '${path}' (${(error as NodeJS.ErrnoException).code ?? String(error)}): pass the path to sts-dev.csv, e.g. --stsb ../shared/datasets/stsb/sts-dev.csv`,
    );
  }
  return parseStsb(text, path);
}

/** Cosine of two L2-normalised vectors (0 when either is the zero vector). */
function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Result of an STS evaluation. */
export interface StsResult {
  readonly spearman: number;
  readonly pairs: number;
  /** Sentences with no known word (zero vector). */
  readonly emptySentences: number;
}

/** Spearman correlation between encoder cosine similarity and gold scores. */
export async function evaluateSts(encoder: Encoder, pairs: readonly StsPair[]): Promise<StsResult> {
  const batch = await encoder.embedDetailed(pairs.flatMap((p) => [p.a, p.b]));
  const sims = pairs.map((_, i) => cosine(batch.vectors[2 * i]!, batch.vectors[2 * i + 1]!));
  return {
    spearman: spearman(
      sims,
      pairs.map((p) => p.score),
    ),
    pairs: pairs.length,
    emptySentences: batch.empty.filter(Boolean).length,
  };
}
