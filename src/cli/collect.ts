/**
 * `hearth collect --leader URL --task ID [--json]`: asks the leader (`POST /v1/admin/dap/collect`
 * with HEARTH_ADMIN_TOKEN) to collect a task's closed window from both aggregators, unshard it and
 * publish it (the popularity prior, a ranker version, or a federated evaluation's counts and
 * promotion decision), then prints what was released: the report count, ε (at δ), ρ and σ. A window still open or a batch below its minimum is refused
 * with the leader's reason and exit code 1; nothing is released then.
 */
import { parseArgs } from 'node:util';
import { DapTaskIdSchema } from '../protocol/dap.ts';
import type { CollectSummary } from '../server/dap/publish.ts';
import { CliUsageError } from './errors.ts';

const HELP = `usage: hearth collect --leader URL --task ID [--json]
  --leader  the leader's server URL (e.g. http://127.0.0.1:8787), not its /dap/ base
  --task    the task id (43 characters of base64url, as GET /v1/dap/tasks lists it)
  --json    print the leader's answer as JSON
Needs HEARTH_ADMIN_TOKEN, the leader's admin token, in the environment.`;

/** What a release published, in one line. */
function describePublished(p: CollectSummary['published']): string {
  switch (p.kind) {
    case 'popularity':
      return `the popularity prior over ${p.items} items (now the default of GET /v1/aggregates)`;
    case 'ranker':
      return `ranker version ${p.toVersion} (FedAvg step on version ${p.fromVersion}, noisy contributor count ${p.noisyCount.toFixed(0)}; promote it with POST /v1/admin/promote)`;
    case 'evaluation': {
      const served = p.served === null ? 'the engine without it' : `${p.model}.served v${p.served}`;
      const verdict = p.decision.promote
        ? `POST /v1/admin/promote will serve ${p.model} v${p.candidate}`
        : `POST /v1/admin/promote refuses ${p.model} v${p.candidate} (unless overridden with a reason)`;
      return `federated evaluation of ${p.model} v${p.candidate} against ${served} (held-out item within the top ${p.k})\ndecision: ${p.decision.reason}\n${verdict}`;
    }
    case 'released':
      return `${p.entries} noisy sums, kept for the model built from them`;
    default: {
      const never: never = p;
      return `an unknown release ${JSON.stringify(never)}`;
    }
  }
}

/** One readable paragraph of what a collection released. */
export function describeRelease(s: CollectSummary): string {
  const published = describePublished(s.published);
  return [
    `released task '${s.name}' (${s.taskId}): ${s.reports} verified reports`,
    `privacy per visitor: ε = ${s.epsilon.toFixed(3)} at δ = ${s.delta} (ρ = ${s.rho.toPrecision(4)} zCDP), with σ = ${s.sigma.toPrecision(4)} discrete Gaussian noise per entry from each aggregator`,
    `published: ${published}${s.fresh ? '' : ' — already published by an earlier collect; nothing changed'}`,
    ...(s.model
      ? [
          `model: ${s.model.name} version ${s.model.version} (${s.model.items} items, kernel ${s.model.kernel}, ${s.model.pairs} released pairs, ${s.model.bytes} bytes), a candidate: promote it with POST /v1/admin/promote`,
        ]
      : []),
  ].join('\n');
}

/** Runs the command; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      leader: { type: 'string' },
      task: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.leader === undefined || values.task === undefined)
    throw new CliUsageError(`--leader and --task are required.\n${HELP}`);
  if (!DapTaskIdSchema.safeParse(values.task).success)
    throw new CliUsageError(
      `--task must be a 43-character base64url task id, got '${values.task}'.`,
    );
  const token = process.env.HEARTH_ADMIN_TOKEN;
  if (token === undefined || token === '')
    throw new CliUsageError("HEARTH_ADMIN_TOKEN is not set; it must be the leader's admin token.");
  const url = new URL('/v1/admin/dap/collect', values.leader);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ taskId: values.task }),
    });
  } catch (error) {
    process.stderr.write(
      `hearth collect: the leader at ${values.leader} could not be reached (${error instanceof Error ? error.message : String(error)}).\n`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => null)) as
    | (CollectSummary & { error?: undefined })
    | { error?: { message?: string } }
    | null;
  if (!res.ok || body === null || body.error !== undefined) {
    const message = body?.error?.message ?? `the leader answered ${res.status}`;
    process.stderr.write(`hearth collect: refused: ${message}\n`);
    return 1;
  }
  const summary = body as CollectSummary;
  process.stdout.write(
    values.json ? `${JSON.stringify(summary)}\n` : `${describeRelease(summary)}\n`,
  );
  return 0;
}
