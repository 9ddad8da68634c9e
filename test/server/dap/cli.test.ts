/**
 * The command line over loopback: `hearth serve --role helper` and `--role leader` as child
 * processes (each its own database and key), a task published to both through the leader, reports
 * from the maintained client library, and `hearth collect`, which refuses an open window and then
 * prints what it released.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, publishOverHttp, type RoleChild, runCli, startRole, stop } from './children.ts';
import { histogramTask, libraryClient, multiHot } from './helpers.ts';

const ENV = {
  HEARTH_ADMIN_TOKEN: 'cli-admin-token-0123456789abcdefghijkl',
  HEARTH_PEER_TOKEN: 'cli-peer-token-0123456789abcdefghijklm',
};
const children: RoleChild[] = [];
let dir = '';

afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hearth serve --role leader|helper and hearth collect', () => {
  it('collects a closed window and prints count, ε and σ; refuses an open one with the reason', async () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'hearth-dap-cli-'));
    const helper = await startRole(
      ['--role', 'helper', '--port', String(await freePort()), '--db', join(dir, 'h.db')],
      ENV,
    );
    children.push(helper);
    const leader = await startRole(
      [
        '--role',
        'leader',
        '--port',
        '0',
        '--db',
        join(dir, 'l.db'),
        '--helper',
        `${helper.url}/dap/`,
      ],
      ENV,
    );
    children.push(leader);
    const now = Date.now();
    const task = histogramTask({
      window: { start: now - 3_600_000, end: now + 4000 },
      timePrecisionSeconds: 1,
      leader: `${leader.url}/dap/`,
      helper: `${helper.url}/dap/`,
    });
    const publish = await publishOverHttp(leader.url, ENV.HEARTH_ADMIN_TOKEN, task);
    const client = libraryClient(task);
    for (let i = 0; i < 4; i++) await client.sendMeasurement(multiHot(12, [i, 11]));
    const listed = (await (await fetch(`${leader.url}/v1/dap/tasks`)).json()) as {
      tasks: { id: string }[];
    };

    // Act
    const early = await runCli(['collect', '--leader', leader.url, '--task', task.id], ENV);
    await new Promise((r) => setTimeout(r, Math.max(0, now + 4500 - Date.now())));
    const done = await runCli(['collect', '--leader', leader.url, '--task', task.id], ENV);
    const again = await runCli(['collect', '--leader', leader.url, '--task', task.id], ENV);

    // Assert
    expect(publish.status).toBe(201);
    expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('window is open until');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('4 verified reports');
    expect(done.stdout).toMatch(/ε = \d+\.\d{3} at δ = 0\.000001/);
    expect(done.stdout).toContain('σ = 2.000');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already published by an earlier collect');
  }, 60_000);

  it('refuses a leader without --helper and a helper without HEARTH_PEER_TOKEN', async () => {
    // Arrange
    dir = mkdtempSync(join(tmpdir(), 'hearth-dap-cli-'));
    const { HEARTH_PEER_TOKEN: _, ...noPeer } = ENV;

    // Act
    const leader = await runCli(['serve', '--role', 'leader', '--db', join(dir, 'l.db')], ENV);
    const helper = await runCli(['serve', '--role', 'helper', '--db', join(dir, 'h.db')], {
      ...noPeer,
      HEARTH_PEER_TOKEN: '',
    });

    // Assert
    expect(leader.code).toBe(2);
    expect(leader.stderr).toContain('--role leader needs --helper URL');
    expect(helper.code).toBe(2);
    expect(helper.stderr).toContain('HEARTH_PEER_TOKEN');
  });
});
