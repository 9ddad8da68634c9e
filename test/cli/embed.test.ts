import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_DIMS, writeTinyModel } from '../../support/tiny-model.ts';

const bin = fileURLToPath(new URL('../../bin/hearth.mjs', import.meta.url));

function runCli(
  args: string[],
  stdin: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('hearth embed', () => {
  let model: string;
  beforeAll(async () => {
    ({ dir: model } = await writeTinyModel());
  });

  it('prints one JSON array per input line, in order, with zero vectors for empty lines', async () => {
    const { code, stdout, stderr } = await runCli(
      ['embed', '--model', model],
      'cat\n\ntruck\ncat\n',
    );
    expect(code).toBe(0);
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[]);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toHaveLength(TINY_DIMS);
    expect(rows[1]!.every((v) => v === 0)).toBe(true);
    expect(rows[3]).toEqual(rows[0]);
    expect(rows[2]).not.toEqual(rows[0]);
    expect(stderr).toMatch(/1 line\(s\) had no known word \(zero vector\): line 2/);
  }, 60_000);

  it('fails with exit code 1 and names the fix when the model is missing', async () => {
    const { code, stderr } = await runCli(['embed', '--model', `${model}-nope`], 'cat\n');
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing.*npm run build:models/);
  }, 60_000);

  it('rejects an unknown command with usage and exit code 2', async () => {
    const { code, stderr } = await runCli(['frobnicate'], '');
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command 'frobnicate'/);
  }, 60_000);
});
