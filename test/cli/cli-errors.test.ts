/**
 * Every CLI command fails with one line that names the fix, through the one error path of
 * `main`: a busy port names --port, a --db in a missing folder creates nothing, an unknown option
 * points to --help; `hearth catalog check` reports a catalog file and sets the exit code.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { GEAR_CATALOG, GEAR_WITH_PROBLEMS, gearCsv } from '../../support/gear-catalog.ts';

/** Runs `hearth …` in this process and returns its exit code and what it wrote. */
async function hearth(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-cli-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const address = busy.address();
  busyPort = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const ONE_LINE = /^[^\n]+\n$/;

describe('hearth: one-line errors with the fix', () => {
  it('hearth serve on a port in use: one line naming --port, exit 1, no stack trace', async () => {
    // Act
    const result = await hearth('serve', '--port', String(busyPort), '--db', ':memory:');
    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toMatch(ONE_LINE);
    expect(result.err).toBe(
      `hearth serve: port ${busyPort} is already in use on 127.0.0.1: stop the program using it, or choose another port with --port (e.g. --port ${busyPort + 1}; --port 0 picks a free one).\n`,
    );
  });

  it('hearth start on a port in use: the same line', async () => {
    // Arrange: a stand-in for the built site (startDemo needs an index.html).
    await writeFile(join(dir, 'index.html'), '');
    const { startDemo } = await import('../../src/cli/start.ts');
    // Act
    const refused = await startDemo({
      port: busyPort,
      host: '127.0.0.1',
      db: join(dir, 'start.db'),
      dist: dir,
    }).then(
      () => null,
      (error: unknown) => error,
    );
    // Assert
    expect(refused).toMatchObject({ code: 'EADDRINUSE' });
    const { describeCliError } = await import('../../src/cli/errors.ts');
    expect(describeCliError('start', refused).message).toMatch(/choose another port with --port/);
  });

  it('hearth serve --db in a folder that does not exist: one line, exit 2, nothing created', async () => {
    // Arrange
    const missing = join(dir, 'no', 'such', 'folder');
    // Act
    const result = await hearth('serve', '--port', '0', '--db', join(missing, 'x.db'));
    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toMatch(ONE_LINE);
    expect(result.err).toContain(`the folder ${missing} does not exist; create it first`);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it.each(['start', 'embed', 'eval-encoder', 'eval', 'serve', 'simulate', 'catalog'])(
    'hearth %s --no-such-option: one line pointing to --help, exit 2',
    async (command) => {
      // Act
      const result = await hearth(command, '--no-such-option');
      // Assert
      expect(result.code).toBe(2);
      expect(result.err).toMatch(ONE_LINE);
      expect(result.err).toBe(
        `hearth ${command}: Unknown option '--no-such-option'. Run 'hearth ${command} --help' for its options.\n`,
      );
    },
  );

  it('a usage error that carries the help text still prints one line', async () => {
    // Act
    const result = await hearth('eval');
    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      "hearth eval: --data DIR is required. Run 'hearth eval --help' for its options.\n",
    );
  });
});

describe('hearth catalog check FILE', () => {
  it('exits 0 and prints the count for a clean catalog', async () => {
    // Arrange
    const file = join(dir, 'gear.json');
    await writeFile(file, JSON.stringify(GEAR_CATALOG));
    // Act
    const result = await hearth('catalog', 'check', file);
    // Assert
    expect(result).toEqual({ code: 0, out: `${file}: 20 of 20 items loaded.\n`, err: '' });
  });

  it('exits 1 and names each skipped item with its reason', async () => {
    // Arrange
    const file = join(dir, 'gear-problems.json');
    await writeFile(file, JSON.stringify(GEAR_WITH_PROBLEMS));
    // Act
    const result = await hearth('catalog', 'check', file);
    // Assert
    expect(result.code).toBe(1);
    expect(result.out.split('\n')).toEqual([
      `${file}: 20 of 22 items loaded: 1 rejected, 1 duplicate id.`,
      '  error: item 21 (id "gift-card"): title: empty (required) — item skipped',
      '  error: item 9 (id "boot-2"): duplicate id, item 20 has it too — the later one is kept, this one skipped',
      '',
    ]);
  });

  it('prints the report as JSON with --json', async () => {
    // Arrange
    const file = join(dir, 'gear-problems.jsonl');
    await writeFile(file, GEAR_WITH_PROBLEMS.map((r) => JSON.stringify(r)).join('\n'));
    // Act
    const result = await hearth('catalog', 'check', file, '--json');
    // Assert
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toMatchObject({
      read: 22,
      accepted: 20,
      rejected: 1,
      duplicates: 1,
      problems: [{ severity: 'error', at: 'line 22', id: 'gift-card' }, { id: 'boot-2' }],
    });
  });

  it('exits 1 with one line naming the headers for a CSV with wrong columns', async () => {
    // Arrange
    const file = join(dir, 'gear.csv');
    await writeFile(file, gearCsv('sku', 'name'));
    // Act
    const result = await hearth('catalog', 'check', file);
    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toMatch(ONE_LINE);
    expect(result.err).toMatch(
      /^hearth catalog: .*gear\.csv: Catalog CSV header \(line 1\) has no "id" or "title" column: it names "sku", "name"/,
    );
  });

  it('a missing file is one line naming the path', async () => {
    // Act
    const result = await hearth('catalog', 'check', join(dir, 'nope.json'));
    // Assert
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      `hearth catalog: ${join(dir, 'nope.json')}: no such file or folder; check the path.\n`,
    );
  });
});
