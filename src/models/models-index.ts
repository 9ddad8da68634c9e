/**
 * `models/index.json`: which model folders a deployment has, written by the build
 * (`vite.config.ts`) next to them. The worker reads it before asking for an optional model
 * (the collaborative models), so a page never requests a file that was not deployed and the
 * browser logs no 404 for it.
 */
import { z } from 'zod';

/** The index's file name inside the models folder. */
export const MODELS_INDEX_FILE = 'index.json';

/** The index's format tag. */
export const MODELS_INDEX_FORMAT = 'hearth-models-index/1';

/** The index: the names of the model folders that hold a `manifest.json`. */
export const ModelsIndexSchema = z.strictObject({
  format: z.literal(MODELS_INDEX_FORMAT),
  models: z.array(z.string().min(1).max(200)).max(1000),
});

/** The parsed index. */
export type ModelsIndex = z.infer<typeof ModelsIndexSchema>;

/** The index for a list of deployed model folders (sorted, so builds are reproducible). */
export function modelsIndex(folders: readonly string[]): ModelsIndex {
  return { format: MODELS_INDEX_FORMAT, models: [...new Set(folders)].sort() };
}

/** Reads an index (`unknown` from a download), or null when it is not one. */
export function parseModelsIndex(json: unknown): ModelsIndex | null {
  const parsed = ModelsIndexSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
