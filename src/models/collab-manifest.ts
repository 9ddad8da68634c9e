/** `models/collab/manifest.json` as written by `scripts/train-collab.ts`: a zod schema for the file. */
import { z } from 'zod';
import { CollabModelError } from '../engine/collab-model.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a hex sha256');

/** Schema of the collab manifest. */
export const CollabManifestSchema = z.object({
  version: z.string().min(1),
  /** File of the factored model (`collab.bin`). */
  file: z.string().min(1),
  sha256,
  /** The sequence model's file and hash, when trained alongside. */
  sequence: z.object({ file: z.string().min(1), sha256, version: z.string().min(1) }).optional(),
});

/** The collab manifest. */
export type CollabManifest = z.infer<typeof CollabManifestSchema>;

/**
 * Parses manifest JSON (`unknown` from a download); `where` names its source in the error, `fix`
 * what to do (a browser passes its own: no build command there).
 */
export function parseCollabManifest(
  json: unknown,
  where: string,
  fix = 'redeploy models/collab/ or rebuild it with npm run train:collab',
): CollabManifest {
  const parsed = CollabManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CollabModelError(
      `${where} is not a collab manifest (${issue?.path.join('.') || 'root'}: ${issue?.message}); ${fix}.`,
    );
  }
  return parsed.data;
}
