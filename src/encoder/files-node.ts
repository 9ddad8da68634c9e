import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
