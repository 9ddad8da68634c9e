/**
 * The demo's secure-aggregation tasks, published by `npm start` on its leader: the popularity of
 * the demo catalog's items (each visitor's last 20 items, ε = 1 per report) and a ranker update
 * against the published ranker (ε = 0.25 per report), open for a week. Tasks already open for the
 * same helper are kept: a restart on other ports publishes new ones (a task names its helper).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import { z } from 'zod';
import { rhoForBudget } from '../privacy/rdp.ts';
import { type DapMeasurement, DapTaskListSchema } from '../protocol/dap.ts';
import { ModelsResponseSchema } from '../protocol/model.ts';
import { cryptoRng } from '../shared/rng.ts';
import { dapTaskDocument, newTaskId } from '../sim/dap-task-document.ts';
import { DAP_RANKER } from '../sim/sim-dap.ts';

/** ε (at δ = 10⁻⁶) of one popularity report and of one ranker-update report in the demo. */
export const DEMO_DAP_EPSILON = { popularity: 1, ranker: 0.25 } as const;

const WEEK_MS = 7 * 24 * 3_600_000;

/** Publishes the demo's tasks on the leader `api` unless open ones naming `helper` exist. */
export async function seedDapTasks(
  api: Hono,
  token: string,
  where: { readonly catalogFile: string; readonly leader: string; readonly helper: string },
): Promise<void> {
  const open = DapTaskListSchema.parse(await (await api.request('/v1/dap/tasks')).json()).tasks;
  const has = (kind: DapMeasurement['kind']) =>
    open.some((t) => t.helper === where.helper && t.measurement.kind === kind);
  const now = Date.now();
  const placement = {
    leader: where.leader,
    helper: where.helper,
    window: { start: now - 60_000, end: now + WEEK_MS },
    timePrecisionSeconds: 3600,
    minBatch: 10,
  };
  const publish = async (name: string, measurement: DapMeasurement, epsilon: number) => {
    const doc = dapTaskDocument(
      newTaskId(cryptoRng),
      name,
      measurement,
      rhoForBudget(epsilon, 1e-6),
      placement,
    );
    const response = await api.request('/v1/admin/dap/tasks', {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(doc),
    });
    if (!response.ok)
      process.stderr.write(
        `hearth start: the leader refused the '${name}' task (HTTP ${response.status}): ${await response.text()}\n`,
      );
  };
  if (!has('item-histogram') && existsSync(where.catalogFile)) {
    const items = z
      .array(z.object({ id: z.string().min(1) }))
      .parse(JSON.parse(await readFile(where.catalogFile, 'utf8')))
      .map((i) => i.id);
    await publish(
      'item popularity',
      { kind: 'item-histogram', items, maxItems: 20 },
      DEMO_DAP_EPSILON.popularity,
    );
  }
  if (!has('ranker-update')) {
    const models = ModelsResponseSchema.safeParse(
      await (await api.request('/v1/model?name=ranker')).json(),
    );
    const ranker = models.success ? models.data.models.find((m) => m.name === 'ranker') : undefined;
    if (ranker?.layout?.kind === 'ranker') {
      await publish(
        'ranker update',
        {
          kind: 'ranker-update',
          modelVersion: ranker.version,
          features: ranker.layout.features,
          ...DAP_RANKER,
        },
        DEMO_DAP_EPSILON.ranker,
      );
    }
  }
}
