import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openServerStorage } from '../../src/server/storage.ts';
import { frame, postUpdate, setupApp } from './helpers.ts';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-server-'));
  dirs.push(dir);
  return join(dir, 'server.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const telemetry = JSON.stringify({
  v: 2,
  kind: 'telemetry',
  mechanism: 'olh',
  epsilon: 2,
  reports: [[1, 2]],
});

describe('server: database faults', () => {
  it('answers 503 with Retry-After while another writer holds the database lock', async () => {
    // Arrange
    const path = tempDb();
    const { app } = await setupApp(4, { storage: openServerStorage(path, { busyTimeoutMs: 20 }) });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    // Act
    const res = await app.request('/v1/telemetry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: telemetry,
    });
    other.exec('ROLLBACK');
    other.close();
    // Assert
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const ok = await app.request('/v1/telemetry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: telemetry,
    });
    expect(ok.status).toBe(202);
  });

  it('answers 507 and stores nothing when the database is full', async () => {
    // Arrange: cap the database at its current size.
    const path = tempDb();
    const storage = openServerStorage(path);
    const { app } = await setupApp(100_000, { storage });
    const pages = Number(storage.db.pragma('page_count', { simple: true }));
    storage.db.pragma(`max_page_count = ${pages}`);
    // Act
    const res = await postUpdate(app, frame(new Float32Array(100_000).fill(0.001)));
    // Assert
    expect(res.status).toBe(507);
    expect(storage.pendingCount('collab', 0)).toBe(0);
  });
});
