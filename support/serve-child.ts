import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** A `hearth serve` child process and the base URL it printed. */
export interface ServerChild {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Starts `hearth serve --port 0 --db DB` as a child process on loopback with the given admin
 * token, a rate limit high enough for load tests and any `extraArgs`; resolves once it prints
 * its URL.
 */
export function startServerChild(
  db: string,
  adminToken: string,
  rate = 1_000_000,
  extraArgs: readonly string[] = [],
): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/hearth.mjs'),
      'serve',
      '--port',
      '0',
      '--db',
      db,
      '--rate',
      String(rate),
      '--burst',
      String(rate),
      ...extraArgs,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, HEARTH_ADMIN_TOKEN: adminToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolvePromise({ child, url: m[1] });
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
  });
}
