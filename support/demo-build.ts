/**
 * The built demo for browser tests: built once when stale, however many test files ask at the
 * same time (vitest runs files in parallel processes; two `vite build`s into one dist/ would
 * overwrite each other's files mid-test). A lock folder, created atomically, lets one process
 * build while the others wait, then re-check.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { buildDemo, needsBuild } from '../src/cli/start.ts';

const LOCK = 'dist.build-lock';
/** A lock older than this was left by a process that died mid-build. */
const STALE_LOCK_MS = 5 * 60_000;

/** Resolves once dist/ is up to date with the sources, building it at most once at a time. */
export async function ensureDemoBuilt(): Promise<void> {
  for (;;) {
    if (!needsBuild()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      let age = 0;
      try {
        age = Date.now() - statSync(LOCK).mtimeMs;
      } catch {
        continue; // released in the meantime
      }
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (needsBuild()) await buildDemo();
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
