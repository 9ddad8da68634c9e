import { describeCliError } from './errors.ts';

/** A CLI command: takes its own arguments, returns the process exit code. */
export type Command = (args: string[]) => Promise<number>;

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<{ run: Command }>;
}

const COMMANDS: Record<string, CommandEntry> = {
  start: { summary: 'run the main job (demo)', load: () => import('./start.ts') },
  embed: {
    summary: 'embed UTF-8 lines from stdin, one JSON array per line',
    load: () => import('./embed.ts'),
  },
  'eval-encoder': {
    summary: 'STS-B Spearman of the encoder',
    load: () => import('./eval-encoder.ts'),
  },
  eval: {
    summary: 'offline recommendation evaluation on a MovieLens folder',
    load: () => import('./eval.ts'),
  },
  serve: {
    summary: 'run the thin server, or a DAP aggregator (--role leader|helper)',
    load: () => import('./serve.ts'),
  },
  collect: {
    summary: "collect a DAP task's closed window and publish it",
    load: () => import('./collect.ts'),
  },
  catalog: {
    summary: 'check a catalog file with the rules browsers and the thin server apply',
    load: () => import('./catalog.ts'),
  },
  simulate: {
    summary: 'federated + LDP simulation on a MovieLens folder',
    load: () => import('./simulate.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `usage: hearth <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'hearth <command> --help' for a command's options.`;
}

/** Dispatches `hearth <command> ...`; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    process.stderr.write(`hearth: unknown command '${name}'.\n${usage()}\n`);
    return 2;
  }
  try {
    const { run } = await entry.load();
    return await run(rest);
  } catch (error) {
    // The one error path of every command: one line with the fix, never a stack trace.
    const failure = describeCliError(name, error);
    process.stderr.write(`hearth ${name}: ${failure.message}\n`);
    return failure.code;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
