import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { MODELS_INDEX_FILE, modelsIndex } from './src/models/models-index.ts';

// Cross-origin isolation lets ONNX Runtime Web use SharedArrayBuffer (WASM threads).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');
const ORT_FILE = /^ort-wasm[\w.-]*\.(wasm|mjs)$/;
/** The one ONNX Runtime build the page uses: WASM only, .wasm/.mjs loaded from `wasmPaths` (/ort/). */
const ORT_WASM_ONLY = join(ORT_DIST, 'ort.wasm.min.mjs');
/** The files that build loads (copied to dist/ort/; nothing else of ORT is shipped). */
const ORT_SHIPPED = /^ort-wasm-simd-threaded\.(wasm|mjs)$/;

/**
 * Resolves `onnxruntime-web` (the ranker) and `onnxruntime-web/webgpu` (transformers.js) in the
 * browser to one WASM-only ORT build with external .wasm files: one runtime instance, one .wasm
 * (from /ort/), and no copy of the .wasm emitted into assets/. Node (vitest, SSR) is untouched.
 */
function singleOrt(): Plugin {
  return {
    name: 'hearth-single-ort',
    enforce: 'pre',
    resolveId(source) {
      if (this.environment?.config.consumer !== 'client') return null;
      return source === 'onnxruntime-web' || source === 'onnxruntime-web/webgpu'
        ? ORT_WASM_ONLY
        : null;
    },
  };
}

/** The built folders the service worker caches: Hearth's own code and runtime, nothing else. */
const PRECACHED_DIRS = ['/assets/', '/hearth/', '/ort/'];

/**
 * Every built file the service worker caches at install (so the first visit is enough for
 * offline use), as root-relative URLs; models are cached separately, checked against sha256, and
 * the shell files are listed in `public/sw.js`. Site content (e.g. the demo's covers, which the
 * engine worker caches in IndexedDB) is not listed.
 */
async function precacheList(outDir: string): Promise<string[]> {
  const files = (await readdir(outDir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => `/${relative(outDir, join(e.parentPath, e.name)).split(sep).join('/')}`);
  return files.filter((f) => PRECACHED_DIRS.some((dir) => f.startsWith(dir))).sort();
}

/** The index of a models folder: its sub-folders that hold a manifest.json (see models-index.ts). */
function modelsIndexJson(dir: string): string {
  const folders = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'manifest.json')))
        .map((e) => e.name)
    : [];
  return `${JSON.stringify(modelsIndex(folders))}\n`;
}

/**
 * Serves ONNX Runtime's .wasm/.mjs under /ort/ and the models index in dev, and copies them and
 * models/ (with its index) into the build.
 */
function hearthAssets(): Plugin {
  let outDir = 'dist';
  return {
    name: 'hearth-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(`/models/${MODELS_INDEX_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(modelsIndexJson('models'));
      });
      server.middlewares.use('/ort/', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]?.replace(/^\//, '') ?? '';
        const file = join(ORT_DIST, name);
        if (!ORT_FILE.test(name) || !existsSync(file)) return next();
        res.setHeader(
          'Content-Type',
          name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
        );
        res.setHeader('Content-Length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    async closeBundle() {
      if (!existsSync(outDir)) return;
      await mkdir(join(outDir, 'ort'), { recursive: true });
      for (const name of await readdir(ORT_DIST)) {
        if (ORT_SHIPPED.test(name)) await cp(join(ORT_DIST, name), join(outDir, 'ort', name));
      }
      if (existsSync('models')) await cp('models', join(outDir, 'models'), { recursive: true });
      await mkdir(join(outDir, 'models'), { recursive: true });
      await writeFile(
        join(outDir, 'models', MODELS_INDEX_FILE),
        modelsIndexJson(join(outDir, 'models')),
      );
      await writeFile(join(outDir, 'precache.json'), JSON.stringify(await precacheList(outDir)));
    },
  };
}

export default defineConfig({
  // Relative URLs in the build: the widget finds its worker chunk (and the worker its models and
  // runtime) next to itself, so the build works under any path (e.g. /vendor/), not only at /.
  base: './',
  plugins: [singleOrt(), hearthAssets()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es', plugins: () => [singleOrt()] },
  optimizeDeps: { include: ['comlink', 'idb'] },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { main: resolve('index.html'), widget: resolve('src/widget/index.ts') },
      output: {
        entryFileNames: (chunk) =>
          chunk.name === 'widget' ? 'hearth/hearth-widget.js' : 'assets/[name]-[hash].js',
      },
      preserveEntrySignatures: 'exports-only',
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
