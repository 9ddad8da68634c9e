/**
 * `npm start` / `hearth start [--port 8080] [--host 127.0.0.1] [--db .hearth/server.db] [--rebuild]`:
 * builds the demo when dist/ is missing or older than the sources, then serves it with the thin
 * server's /v1 API on one port (COOP/COEP headers, long-lived caching for model and WASM files)
 * and prints the URL.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from '../server/app.ts';
import { openServerStorage } from '../server/storage.ts';
import { CliUsageError } from './errors.ts';

const DIST = resolve('dist');
const SOURCES = ['index.html', 'src', 'workers', 'public', 'vite.config.ts'];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (m, name) => Math.max(m, newestMtime(join(path, name))),
    stat.mtimeMs,
  );
}

/** True when dist/ is missing or a source is newer than the last build. */
export function needsBuild(): boolean {
  const built = join(DIST, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((s) => newestMtime(s) > builtAt);
}

/** Builds the demo and the widget with Vite. */
async function build(): Promise<void> {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: resolve('vite.config.ts'), logLevel: 'warn' });
}

/** Serves dist/ and /v1; resolves with 0 when stopped. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: '.hearth/server.db' },
      rebuild: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--port must be a port number, got '${values.port}'.`);
  }
  if (values.rebuild || needsBuild()) {
    process.stderr.write('hearth start: building the demo (vite build)…\n');
    await build();
  }
  mkdirSync(dirname(values.db), { recursive: true });
  const api = createApp({ storage: openServerStorage(values.db) });
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
  });
  app.route('/', api);
  app.get('*', async (c) => {
    const path = normalize(decodeURIComponent(new URL(c.req.url).pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    let file = join(DIST, path);
    if (!file.startsWith(DIST)) return c.text('Not found', 404);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) file = join(DIST, 'index.html');
    const immutable =
      (path.startsWith('/models/') && !path.endsWith('manifest.json')) ||
      path.startsWith('/ort/') ||
      path.startsWith('/assets/');
    return c.body(await readFile(file), 200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });
  const server = serve({ fetch: app.fetch, port, hostname: values.host }, (info) => {
    process.stdout.write(`Hearth demo: http://${values.host}:${info.port}/\n`);
  });
  await new Promise<void>((resolveStop) => {
    const stop = () => server.close(() => resolveStop());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
