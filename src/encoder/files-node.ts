import { access, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelLocation } from './encoder.ts';
import type { ModelFiles } from './manifest.ts';

/** Model files read from a local directory (Node: CLI, evaluation, tests). */
export function nodeModelFiles(
  dir: string,
): ModelFiles & { exists(path: string): Promise<boolean> } {
  return {
    location: dir,
    async read(path) {
      try {
        return new Uint8Array(await readFile(join(dir, path)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async exists(path) {
      try {
        await access(join(dir, path));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Resolves a model name (under `modelsPath`, default this package's `models/`) or a directory path. */
export function locateNodeModel(
  model: string,
  modelsPath: string | undefined,
  files: ModelLocation['files'] | undefined,
): ModelLocation {
  const defaultBase = fileURLToPath(new URL('../../models/', import.meta.url));
  const looksLikePath = model.includes('/') || model.includes('\\') || model.startsWith('.');
  const dir = looksLikePath ? resolve(model) : resolve(modelsPath ?? defaultBase, model);
  return { base: dirname(dir), name: basename(dir), files: files ?? nodeModelFiles(dir) };
}
