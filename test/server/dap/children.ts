/**
 * The aggregators as child processes (`hearth serve --role …`) for the crash and CLI tests: the
 * real CLI, worker threads, SQLite files and loopback HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

/** A running aggregator. */
export interface RoleChild {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
}

/** A free loopback port (a helper restarts on the port the leader was told). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts `hearth serve` with `args` and the tokens; resolves once it prints its URL. */
export function startRole(
  args: readonly string[],
  env: Record<string, string>,
): Promise<RoleChild> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hearth.mjs'), 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolveChild, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) resolveChild({ child, url: m[1], output: () => out });
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`hearth serve exited early (${code}): ${out}`)));
  });
}

/** Runs `hearth <args>` to completion; resolves with its exit code and output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hearth.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolveRun) =>
    child.once('exit', (code) => resolveRun({ code, stdout, stderr })),
  );
}

/** Kills a child with `signal` and waits for it to exit. */
export async function stop(c: RoleChild, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.kill(signal);
  await exited;
}

/** Publishes a task on a leader child with the admin token (PUT /v1/admin/dap/tasks). */
export function publishOverHttp(leaderUrl: string, adminToken: string, task: unknown) {
  return fetch(`${leaderUrl}/v1/admin/dap/tasks`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(task),
  });
}
