/**
 * The ranker's manifest (`models/ranker/manifest.json`): a zod schema for the file, and the check
 * that its features are the ones this engine computes.
 */
import { z } from 'zod';
import { FEATURE_COUNT, FEATURE_NAMES } from '../engine/features.ts';

/** The ranker file does not match this engine's features, or the manifest is malformed. */
export class RankerError extends Error {
  override readonly name = 'RankerError';
}

/** Schema of `models/ranker/manifest.json`. */
export const RankerManifestSchema = z.object({
  version: z.string().min(1),
  features: z.array(z.string()),
  /** One weight per feature, applied to raw feature values. */
  weights: z.array(z.number().finite()),
  bias: z.number().finite(),
  /** File name of the ONNX graph next to the manifest. */
  onnx: z.string().min(1),
  /** sha256 (hex) of the ONNX bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** How it was trained (data, split, metric on validation). */
  training: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** The ranker's manifest. */
export type RankerManifest = z.infer<typeof RankerManifestSchema>;

/** Checks a manifest against FEATURE_NAMES; throws RankerError with `fix` (what to rebuild). */
export function assertRankerManifest(
  manifest: RankerManifest,
  fix = 'retrain it with npm run train:ranker',
): void {
  const same =
    manifest.features.length === FEATURE_COUNT &&
    manifest.features.every((f, i) => f === FEATURE_NAMES[i]) &&
    manifest.weights.length === FEATURE_COUNT;
  if (!same) {
    throw new RankerError(
      `ranker '${manifest.version}' expects features [${manifest.features.join(', ')}] but the engine computes [${FEATURE_NAMES.join(', ')}]; ${fix}.`,
    );
  }
}

/**
 * Parses and checks manifest JSON (`unknown` from a file or a download); `where` names its
 * source, `fix` what to do (a browser passes its own: no build command there).
 */
export function parseRankerManifest(
  json: unknown,
  where: string,
  fix = 'rebuild it with npm run train:ranker',
): RankerManifest {
  const parsed = RankerManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RankerError(
      `${where} is not a ranker manifest (${issue?.path.join('.') || 'root'}: ${issue?.message}); ${fix}.`,
    );
  }
  assertRankerManifest(parsed.data, fix);
  return parsed.data;
}
