/**
 * Crash safety of the two aggregators as child processes (`hearth serve --role leader|helper`,
 * worker threads, SQLite files): reports stream in while the leader is SIGKILLed after an
 * acknowledgement, the helper is SIGKILLed while aggregation jobs are in flight, and the leader is
 * SIGKILLed mid-aggregation. After restarts and a quiet period: every 201-acknowledged report is
 * stored and aggregated, both aggregators hold the same report ids, count and checksum, and the
 * two stored aggregate shares add up to exactly the sum of the stored reports' measurements —
 * nothing lost, nothing counted twice.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Prio3Codec, sumVecVdaf } from '../../../src/wire/dap/prio3-codec.ts';
import { base64url } from '../../../src/wire/dap/tls.ts';
import { freePort, publishOverHttp, type RoleChild, startRole, stop } from './children.ts';
import { histogramTask, libraryClient, multiHot } from './helpers.ts';

const ENV = {
  HEARTH_ADMIN_TOKEN: 'sigkill-admin-token-0123456789abcdefgh',
  HEARTH_PEER_TOKEN: 'sigkill-peer-token-0123456789abcdefghij',
};
const LENGTH = 1000;
const REPORTS = 60;
const children: RoleChild[] = [];
let dir = '';

afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function started(args: string[]): Promise<RoleChild> {
  const c = await startRole(args, ENV);
  children.push(c);
  return c;
}

async function stats(url: string, taskId: string) {
  const res = await fetch(`${url}/v1/admin/dap/tasks/${taskId}/stats`, {
    headers: { authorization: `Bearer ${ENV.HEARTH_ADMIN_TOKEN}` },
  }).catch(() => null);
  if (res === null || !res.ok) return null;
  return (await res.json()) as {
    reports: { pending: number; inJob: number; aggregated: number };
    batch: { reports: number };
  };
}

function xorChecksum(ids: readonly Buffer[]): Buffer {
  const out = Buffer.alloc(32);
  for (const id of ids) {
    const h = createHash('sha256').update(id).digest();
    for (let i = 0; i < 32; i++) out[i] = (out[i] ?? 0) ^ (h[i] ?? 0);
  }
  return out;
}

describe('DAP aggregators under SIGKILL (child processes)', () => {
  it('lose no acknowledged report and count none twice across leader and helper kills', async () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'hearth-dap-kill-'));
    const leaderDb = join(dir, 'leader.db');
    const helperDb = join(dir, 'helper.db');
    const helperPort = await freePort();
    const helperArgs = ['--role', 'helper', '--port', String(helperPort), '--db', helperDb];
    let helper = await started(helperArgs);
    const leaderArgs = (port: number) => [
      '--role',
      'leader',
      '--port',
      String(port),
      '--db',
      leaderDb,
      '--helper',
      `${helper.url}/dap/`,
      '--dap-job-size',
      '5',
      '--dap-reports-per-address',
      '1000000',
      '--rate',
      '100000',
      '--burst',
      '100000',
    ];
    const leaderPort = await freePort();
    let leader = await started(leaderArgs(leaderPort));
    const now = Date.now();
    const task = histogramTask({
      items: LENGTH,
      maxItems: 4,
      chunkLength: 32,
      sigma: 3,
      window: { start: now - 3_600_000, end: now + 3_600_000 },
      timePrecisionSeconds: 60,
      leader: `${leader.url}/dap/`,
      helper: `${helper.url}/dap/`,
    });
    const publish = await publishOverHttp(leader.url, ENV.HEARTH_ADMIN_TOKEN, task);
    expect(publish.status).toBe(201);
    const client = libraryClient(task);
    const measurementOf = new Map<string, number[]>();
    const acked = new Set<string>();

    // Act: three uploaders; a schedule of kills keyed on acknowledgements and jobs in flight.
    let next = 0;
    let phase = 0;
    const upload = async () => {
      while (next < REPORTS) {
        const i = next++;
        const m = multiHot(LENGTH, [i % LENGTH, (7 * i + 3) % LENGTH, (13 * i + 5) % LENGTH]);
        const report = await client.generateReport(m);
        const id = base64url(report.metadata.reportId.bytes);
        measurementOf.set(id, m);
        const res = await fetch(`${leader.url}/dap/tasks/${task.id}/reports`, {
          method: 'PUT',
          headers: { 'content-type': 'application/dap-report' },
          body: new Uint8Array(report.encode()),
        }).catch(() => null);
        if (res?.status === 201) acked.add(id);
      }
    };
    const killer = async () => {
      while (phase < 3) {
        await new Promise((r) => setTimeout(r, 15));
        const s = await stats(leader.url, task.id);
        if (phase === 0 && acked.size >= 10) {
          await stop(leader);
          leader = await started(leaderArgs(leaderPort));
          phase = 1;
        } else if (phase === 1 && acked.size >= 25 && (s?.reports.inJob ?? 0) > 0) {
          await stop(helper);
          helper = await started(helperArgs);
          phase = 2;
        } else if (phase === 2 && acked.size >= 40 && (s?.reports.inJob ?? 0) > 0) {
          await stop(leader);
          leader = await started(leaderArgs(leaderPort));
          phase = 3;
        } else if (next >= REPORTS && acked.size >= REPORTS - 3) break;
      }
    };
    await Promise.all([upload(), upload(), upload(), killer()]);
    // Quiet period: every stored report aggregated (pending ones go at the 10 s flush at latest).
    for (let t = 0; t < 600; t++) {
      const s = await stats(leader.url, task.id);
      if (s !== null && s.reports.pending === 0 && s.reports.inJob === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stop(leader, 'SIGTERM');
    await stop(helper, 'SIGTERM');

    // Assert
    expect(phase).toBe(3);
    const l = new Database(leaderDb, { readonly: true });
    const h = new Database(helperDb, { readonly: true });
    const leaderRows = l.prepare('SELECT report_id, state FROM dap_reports').all() as {
      report_id: Buffer;
      state: number;
    }[];
    const helperIds = (
      h.prepare('SELECT report_id FROM dap_reports').all() as { report_id: Buffer }[]
    ).map((r) => base64url(r.report_id));
    const stored = new Set(leaderRows.map((r) => base64url(r.report_id)));
    for (const id of acked) expect(stored.has(id)).toBe(true);
    expect(leaderRows.every((r) => r.state === 2)).toBe(true);
    expect(new Set(helperIds)).toEqual(stored);
    expect(helperIds.length).toBe(stored.size);
    const batchOf = (db: Database.Database) =>
      db.prepare('SELECT share, report_count, checksum FROM dap_batches').get() as {
        share: Buffer;
        report_count: number;
        checksum: Buffer;
      };
    const lb = batchOf(l);
    const hb = batchOf(h);
    const checksum = xorChecksum(leaderRows.map((r) => r.report_id));
    expect(lb.report_count).toBe(stored.size);
    expect(hb.report_count).toBe(stored.size);
    expect(lb.checksum.equals(checksum)).toBe(true);
    expect(hb.checksum.equals(checksum)).toBe(true);
    // The two shares add up to exactly the stored reports' sum: each counted once.
    const codec = new Prio3Codec(sumVecVdaf(task.vdaf));
    const sum = codec.toSigned(
      codec.sumShares([codec.decodeAggregateShare(lb.share), codec.decodeAggregateShare(hb.share)]),
    );
    const truth = new Array<number>(LENGTH).fill(0);
    for (const id of stored)
      (measurementOf.get(id) ?? []).forEach((v, j) => {
        truth[j] = (truth[j] ?? 0) + v;
      });
    expect(sum.map(Number)).toEqual(truth);
    l.close();
    h.close();
  }, 120_000);
});
