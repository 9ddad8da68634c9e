/** Errors of the command line and the one place that turns any error into a one-line message. */

/** Wrong or missing command-line arguments; the message says which and how to fix it. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** What `main` prints for a failed command, and the exit code. */
export interface CliFailure {
  /** One line, without the `hearth <command>: ` prefix. */
  readonly message: string;
  /** 2 for a usage error (fix the command line), 1 for anything else. */
  readonly code: 1 | 2;
}

/** A Node system error (`listen EADDRINUSE`, `open ENOENT`, …) with the fields Node sets. */
interface SystemError {
  readonly code: string;
  readonly syscall?: string;
  readonly port?: number;
  readonly address?: string;
  readonly path?: string;
  readonly message: string;
}

function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof error.message === 'string'
  );
}

/** A sentence for the system errors a command line meets (busy port, missing file, …), or null. */
function describeSystemError(error: SystemError): string | null {
  const port = error.port;
  const host = error.address ?? 'this machine';
  if (error.syscall === 'listen' || error.syscall === 'bind') {
    switch (error.code) {
      case 'EADDRINUSE':
        return `port ${port} is already in use on ${host}: stop the program using it, or choose another port with --port (e.g. --port ${(port ?? 8080) + 1}; --port 0 picks a free one).`;
      case 'EACCES':
        return `not allowed to listen on port ${port} (ports below 1024 need extra privileges): choose another port with --port.`;
      case 'EADDRNOTAVAIL':
        return `cannot listen on ${host}: it is not an address of this machine; choose another with --host (e.g. --host 127.0.0.1).`;
      default:
        return null;
    }
  }
  if (error.path === undefined) return null;
  switch (error.code) {
    case 'ENOENT':
      return `${error.path}: no such file or folder; check the path.`;
    case 'EACCES':
    case 'EPERM':
      return `${error.path}: permission denied; choose a path you can read and write.`;
    case 'EISDIR':
      return `${error.path} is a folder; pass a file.`;
    case 'ENOTDIR':
      return `${error.path}: a part of this path is a file, not a folder; check the path.`;
    default:
      return null;
  }
}

/**
 * Turns any error a command throws into one line and an exit code: usage errors (ours and
 * `node:util` parseArgs's) exit 2 and point to `--help`; system errors get a sentence with the
 * fix; anything else its message's first line. Stack traces are never printed.
 */
export function describeCliError(command: string, error: unknown): CliFailure {
  const help = `Run 'hearth ${command} --help' for its options.`;
  if (error instanceof CliUsageError) {
    return { message: `${firstLine(error.message)} ${help}`, code: 2 };
  }
  if (isSystemError(error)) {
    if (error.code.startsWith('ERR_PARSE_ARGS_')) {
      return { message: `${firstSentence(error.message)} ${help}`, code: 2 };
    }
    const described = describeSystemError(error);
    if (described !== null) return { message: described, code: 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: firstLine(message), code: 1 };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}

/** parseArgs appends advice about `--` that does not apply to options; keep its first sentence. */
function firstSentence(text: string): string {
  const line = firstLine(text);
  const end = line.indexOf('. ');
  const sentence = end < 0 ? line : line.slice(0, end + 1);
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}
