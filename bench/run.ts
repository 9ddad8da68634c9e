/**
 * Runs every `bench/*.bench.ts` suite and prints one JSON object of named figures.
 * Usage: npm run bench -- [--json] [--only name[,name]] [--movielens DIR] [--stsb FILE]
 * Node figures use native ONNX Runtime; figures under `browser.*` come from headless Chromium.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchFigures, BenchSuite } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function loadSuites(only: Set<string> | null): Promise<BenchSuite[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchSuite };
    if (only === null || only.has(mod.default.name)) suites.push(mod.default);
  }
  return suites;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      movielens: { type: 'string' },
      stsb: { type: 'string' },
    },
  });
  const only = values.only ? new Set(values.only.split(',')) : null;
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  const figures: BenchFigures = {
    'meta.node': process.version,
    'meta.date': new Date().toISOString(),
  };
  for (const suite of await loadSuites(only)) {
    log(`${suite.name}: running`);
    const started = performance.now();
    try {
      Object.assign(
        figures,
        await suite.run({ movielens: values.movielens, stsb: values.stsb, log }),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`${suite.name}: failed: ${message}`);
      figures[`${suite.name}.error`] = message;
    }
    log(`${suite.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } else {
    for (const [key, value] of Object.entries(figures))
      process.stdout.write(`${key.padEnd(36)} ${value}\n`);
  }
}

await main();
