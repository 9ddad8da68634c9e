/** Durable acknowledgements and admin tokens that resist guessing (issue 11, item 13). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { AdminTokenError, checkAdminToken } from '../../src/server/middleware/require-admin.ts';
import { DAY_MS, openServerStorage } from '../../src/server/storage.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-durable-'));
  dirs.push(dir);
  return join(dir, 'server.db');
}

describe('server storage durability', () => {
  it('fsyncs every acknowledged commit: WAL with synchronous = FULL', () => {
    const storage = openServerStorage(tempDb());
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL (1 = NORMAL may lose the last commits on power failure).
    expect(storage.db.pragma('synchronous', { simple: true })).toBe(2);
    storage.close();
  });

  it('moves the reports of an older database into the dated table, as received today', () => {
    // Arrange: the schema before retention.
    const path = tempDb();
    const old = new Database(path);
    old.exec(
      'CREATE TABLE telemetry (n INTEGER PRIMARY KEY, epsilon REAL NOT NULL, seed INTEGER NOT NULL, value INTEGER NOT NULL)',
    );
    old.exec('INSERT INTO telemetry (epsilon, seed, value) VALUES (2, 11, 3), (2, 12, 4)');
    old.close();
    // Act
    const storage = openServerStorage(path, { now: () => 42 * DAY_MS });
    // Assert
    expect(storage.reportsAfter(0, 2)).toEqual([
      { n: 1, seed: 11, value: 3 },
      { n: 2, seed: 12, value: 4 },
    ]);
    expect(storage.expiredReports(43, 10).length).toBe(2);
    expect(storage.expiredReports(42, 10).length).toBe(0);
    storage.close();
  });
});

describe('admin token length', () => {
  it('hearth serve refuses a HEARTH_ADMIN_TOKEN shorter than 32 characters with one line naming the variable and the fix', async () => {
    // Arrange
    vi.stubEnv('HEARTH_ADMIN_TOKEN', 'change-me');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    // Act
    const code = await main(['serve', '--port', '0', '--db', ':memory:']);
    // Assert
    expect(code).toBe(2);
    const text = written.join('');
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toMatch(/HEARTH_ADMIN_TOKEN is 9 characters long; it must have at least 32/);
    expect(text).toMatch(/openssl rand -base64 32/);
  });

  it('accepts a token of 32 characters and refuses one of 31', () => {
    expect(() => checkAdminToken('x'.repeat(32), 'HEARTH_ADMIN_TOKEN')).not.toThrow();
    expect(() => checkAdminToken('x'.repeat(31), 'HEARTH_ADMIN_TOKEN')).toThrow(AdminTokenError);
  });
});
