/**
 * Hostile bytes against the DAP routes (seeded fast-check): a valid report with bytes flipped,
 * cut or appended, and arbitrary bytes, to the leader's upload and (with the peer token) to the
 * helper's aggregation job and aggregate-share routes. Every answer is a DAP problem document
 * (4xx with the task id) or an acceptance, never a 500.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAP_MEDIA } from '../../../src/wire/dap/upload.ts';
import { fuzzParams } from '../../fuzz/helpers.ts';
import { forgeReport, upload } from './forge.ts';
import { dapPair, HELPER, histogramTask, multiHot, PEER_TOKEN } from './helpers.ts';

const RUNS = 300;
let pair: ReturnType<typeof dapPair>;
let valid: Uint8Array;
const task = histogramTask();

beforeAll(async () => {
  pair = dapPair({ jobSize: 1000, reportsPerAddress: 1e9 });
  await pair.publish(task);
  valid = (
    await forgeReport(pair.clientFetch, task, {
      entries: multiHot(12, [1]),
      timeMs: pair.clock.now,
    })
  ).body;
});
afterAll(() => pair.close());

/** A valid report mutated: flip bytes, cut, or append. */
const mutated = fc
  .tuple(
    fc.constantFrom('flip', 'cut', 'append'),
    fc.nat(),
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
  )
  .map(([how, at, extra]) => {
    const bytes = new Uint8Array(valid);
    const i = at % bytes.length;
    if (how === 'flip') {
      for (const [k, x] of extra.entries()) {
        const j = (i + k) % bytes.length;
        bytes[j] = (bytes[j] ?? 0) ^ (x | 1);
      }
      return bytes;
    }
    if (how === 'cut') return bytes.subarray(0, i);
    return Uint8Array.of(...bytes, ...extra);
  });

const bodies = fc.oneof(mutated, fc.uint8Array({ maxLength: 512 }));

async function expectProblemOrOk(res: Response) {
  if (res.status < 300) return;
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(((await res.json()) as { taskid?: string }).taskid).toBe(task.id);
}

describe('DAP routes under hostile bytes', () => {
  it('the leader answers every mutated or random report with a problem document or 201, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        // Arrange / Act
        const res = await upload(pair.clientFetch, task, new Uint8Array(body));

        // Assert
        await expectProblemOrOk(res);
      }),
      fuzzParams(8101, RUNS),
    );
  });

  it('the helper answers every mutated or random aggregation job and share request with a problem or success, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, fc.boolean(), fc.nat(), async (body, job, n) => {
        // Arrange
        const path = job ? `aggregation_jobs/fuzz-${n}` : 'aggregate_shares';
        const type = job ? DAP_MEDIA.aggregationJobInitReq : DAP_MEDIA.aggregateShareReq;

        // Act
        const res = await pair.helperApp.request(`${HELPER}tasks/${task.id}/${path}`, {
          method: job ? 'PUT' : 'POST',
          headers: { authorization: `Bearer ${PEER_TOKEN}`, 'content-type': type },
          body: new Uint8Array(body),
        });

        // Assert
        await expectProblemOrOk(res);
      }),
      fuzzParams(8102, RUNS),
    );
  });
});
