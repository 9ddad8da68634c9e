import { createReadStream, existsSync, statSync } from 'node:fs';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// Cross-origin isolation lets ONNX Runtime Web use SharedArrayBuffer (WASM threads).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');
const ORT_FILE = /^ort-wasm[\w.-]*\.(wasm|mjs)$/;

/** Serves ONNX Runtime's .wasm/.mjs under /ort/ in dev and copies them and models/ into the build. */
function hearthAssets(): Plugin {
  let outDir = 'dist';
  return {
    name: 'hearth-assets',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
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
        if (ORT_FILE.test(name)) await cp(join(ORT_DIST, name), join(outDir, 'ort', name));
      }
      if (existsSync('models')) await cp('models', join(outDir, 'models'), { recursive: true });
    },
  };
}

export default defineConfig({
  plugins: [hearthAssets()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es' },
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
