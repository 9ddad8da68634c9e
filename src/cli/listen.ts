/**
 * Starting an HTTP server from the command line: `listen` resolves once the port is bound and
 * rejects with Node's error (EADDRINUSE, EACCES, …) instead of letting it escape as an unhandled
 * 'error' event, so `main` prints one line naming the fix; `checkDbPath` refuses a `--db` whose
 * folder does not exist instead of creating folders the operator never asked for.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { CliUsageError } from './errors.ts';

/** A listening server and the port it got (the one asked for, or a free one for port 0). */
export interface Listening {
  readonly server: ServerType;
  readonly port: number;
}

/** Serves `fetch` on `host:port`; rejects with the listen error (the caller closes what it opened). */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  host: string,
): Promise<Listening> {
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info) => {
      server.off('error', reject);
      resolveListen({ server, port: info.port });
    });
    server.once('error', reject);
  });
}

/**
 * Checks a `--db` path before anything is opened: `:memory:` and paths in an existing folder are
 * used as given; the default path's folder (e.g. `.hearth/`) is created; any other missing folder
 * is a usage error and nothing is created.
 */
export function checkDbPath(path: string, defaultPath: string): void {
  if (path === ':memory:') return;
  const folder = dirname(resolve(path));
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory())
      throw new CliUsageError(`--db ${path}: ${folder} is a file, not a folder.`);
    return;
  }
  if (resolve(path) === resolve(defaultPath)) {
    mkdirSync(folder, { recursive: true });
    return;
  }
  throw new CliUsageError(
    `--db ${path}: the folder ${folder} does not exist; create it first (mkdir -p ${folder}) or choose another --db.`,
  );
}
