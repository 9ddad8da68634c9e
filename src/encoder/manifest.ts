import { z } from 'zod';
import { sha256Hex } from '../shared/hash.ts';
import { ENCODER_MESSAGES, EncoderModelError } from './errors.ts';

/** The `manifest.json` written by `npm run build:models`. */
export const ModelManifestSchema = z.object({
  id: z.string().min(1),
  version: z.string().min(1),
  dims: z.number().int().positive(),
  vocabSize: z.number().int().positive(),
  maxTokens: z.number().int().positive(),
  dtype: z.enum(['q8', 'fp32']).optional(),
  files: z.record(
    z.string(),
    z.object({ bytes: z.number().int().nonnegative(), sha256: z.string().length(64) }),
  ),
});

export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** Reads files of one model directory: the local file system in Node, HTTP in the browser. */
export interface ModelFiles {
  /** Human-readable location, used in error messages. */
  readonly location: string;
  /**
   * What a message tells the reader to do about a missing or broken file (default: the CLI's
   * rebuild advice; files over HTTP say how to deploy them instead).
   */
  readonly fix?: string;
  /** The file's bytes, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
}

/** Parses the manifest, or returns null when the directory has none (e.g. a hub model). */
export async function readManifest(files: ModelFiles): Promise<ModelManifest | null> {
  const bytes = await files.read('manifest.json');
  if (bytes === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new EncoderModelError(
      ENCODER_MESSAGES.badManifest(files.location, String(error), files.fix),
      'manifest.json',
    );
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new EncoderModelError(
      ENCODER_MESSAGES.badManifest(
        files.location,
        parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
        files.fix,
      ),
      'manifest.json',
    );
  }
  return parsed.data;
}

/** Checks every file listed in the manifest against its sha256; throws naming the first bad file. */
export async function verifyModelFiles(manifest: ModelManifest, files: ModelFiles): Promise<void> {
  for (const [path, expected] of Object.entries(manifest.files)) {
    const bytes = await files.read(path);
    if (bytes === null)
      throw new EncoderModelError(
        ENCODER_MESSAGES.missingFile(path, files.location, files.fix),
        path,
      );
    const actual = await sha256Hex(bytes);
    if (actual !== expected.sha256) {
      throw new EncoderModelError(
        ENCODER_MESSAGES.corruptFile(path, expected.sha256, actual, files.fix),
        path,
      );
    }
  }
}
