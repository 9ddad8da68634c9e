import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { modelUploadBody } from '../../src/wire/model-upload.ts';
import { type ServerChild, startServerChild } from '../../support/serve-child.ts';
import { frame } from './helpers.ts';

const TOKEN = 'kill-test-token-of-at-least-32-characters';
const LENGTH = 20_000;
const K = 4;
const children: ChildProcess[] = [];
let dir = '';

afterEach(() => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `hearth serve` and remembers the child so afterEach can end it. Every update comes from
 * this one address: the per-address quota is lifted so that it can fill rounds alone.
 */
async function startServer(db: string): Promise<ServerChild> {
  const started = await startServerChild(db, TOKEN, 100_000, ['--updates-per-address', '1000000']);
  children.push(started.child);
  return started;
}

/** Update i is the constant vector (i+1)/1000 / sqrt(LENGTH)-scaled so its norm is ≤ C = 1. */
function updateValue(i: number): number {
  return (i + 1) / 1000 / Math.sqrt(LENGTH);
}

describe('server crash safety (child process, SIGKILL)', () => {
  it('after SIGKILL mid-stream no 202-acknowledged update is lost and none is counted twice', async () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'hearth-kill-'));
    const db = join(dir, 'server.db');
    const first = await startServer(db);
    const adminHeaders = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    expect(
      (
        await fetch(`${first.url}/v1/admin/model`, {
          method: 'PUT',
          headers: adminHeaders,
          body: JSON.stringify(modelUploadBody('collab', new Float32Array(LENGTH))),
        })
      ).status,
    ).toBe(201);
    await fetch(`${first.url}/v1/admin/round`, {
      method: 'POST',
      headers: adminHeaders,
      body: JSON.stringify({ minUpdates: K, clipNorm: 1, noiseMultiplier: 0 }),
    });

    // Act: stream updates (4 in flight) and SIGKILL the server twice: first right after the 13th
    // acknowledgement, then (second life) 2 ms after sending an update that completes a round,
    // i.e. while it is being accepted and aggregated. A third life only starts up.
    const acked = new Set<string>();
    const valueById = new Map<string, number>();
    let next = 0;
    const stream = async (
      server: { child: ChildProcess; url: string },
      killAfterAck: (ack: { pending: number }) => 'now' | 'after-next-send' | 'no',
    ) => {
      let killed = false;
      let armed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        server.child.kill('SIGKILL');
      };
      const worker = async () => {
        while (!killed && next < 400) {
          const i = next++;
          const round = await fetch(`${server.url}/v1/round`)
            .then((r) => r.json() as Promise<{ modelVersion: number }>)
            .catch(() => null);
          if (round === null) return;
          const id = `kill-test-update-${String(i).padStart(6, '0')}`;
          valueById.set(id, updateValue(i));
          const body = frame(new Float32Array(LENGTH).fill(updateValue(i)), {
            id,
            modelVersion: round.modelVersion,
          });
          const pending = fetch(`${server.url}/v1/updates`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body,
          }).catch(() => null);
          if (armed) setTimeout(kill, 2);
          const res = await pending;
          if (res?.status === 202) {
            acked.add(id);
            const decision = killAfterAck((await res.json()) as { pending: number });
            if (decision === 'now') kill();
            if (decision === 'after-next-send') armed = true;
          }
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      if (server.child.exitCode === null && server.child.signalCode === null) {
        await new Promise((r) => server.child.once('exit', r));
      }
    };
    await stream(first, () => (acked.size === 13 ? 'now' : 'no'));
    const secondLife = await startServer(db);
    await stream(secondLife, (ack) =>
      acked.size > 20 && ack.pending === K - 1 ? 'after-next-send' : 'no',
    );

    const second = await startServer(db);
    const health = (await (await fetch(`${second.url}/healthz`)).json()) as {
      modelVersion: number;
    };
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    // Assert: every acknowledged id is stored exactly once…
    const sqlite = new Database(db, { readonly: true });
    const rows = sqlite.prepare('SELECT id, consumed_in FROM updates').all() as {
      id: string;
      consumed_in: number | null;
    }[];
    const stored = new Set(rows.map((r) => r.id));
    for (const id of acked) expect(stored.has(id)).toBe(true);
    expect(stored.size).toBe(rows.length);
    // …each version consumed exactly K updates, and its params moved by exactly their mean.
    const models = sqlite
      .prepare("SELECT version, params FROM models WHERE name = 'collab' ORDER BY version")
      .all() as { version: number; params: Buffer }[];
    expect(models.length).toBeGreaterThanOrEqual(2);
    expect(health.modelVersion).toBe(models.at(-1)?.version);
    for (let j = 1; j < models.length; j++) {
      const [prev, cur] = [models[j - 1], models[j]];
      if (prev === undefined || cur === undefined) continue;
      expect(cur.version).toBe(prev.version + 1);
      const consumed = rows.filter((r) => r.consumed_in === cur.version);
      expect(consumed.length).toBe(K);
      const mean = consumed.reduce((s, r) => s + (valueById.get(r.id) ?? Number.NaN), 0) / K;
      expect(cur.params.readFloatLE(0) - prev.params.readFloatLE(0)).toBeCloseTo(mean, 6);
    }
    // Every version ever published consumed exactly K updates.
    const versions = Math.max(...models.map((m) => m.version));
    for (let v = 1; v <= versions; v++)
      expect(rows.filter((r) => r.consumed_in === v).length).toBe(K);
    sqlite.close();
  }, 60_000);
});
