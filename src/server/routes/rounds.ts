/**
 * Federated-round routes (mounted under /v1): clients read the open round and post updates (at
 * most `updatesPerRound` accepted per client address per round); the operator changes the round
 * settings. Validation and aggregation live in ../rounds.ts.
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { RoundSettingsSchema } from '../../protocol/round.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { decodeUpdateFrame, UpdateFrameError } from '../../wire/update-codec.ts';
import type { WindowQuota } from '../client-quota.ts';
import { HttpError } from '../http-error.ts';
import { bodySizeLimit } from '../middleware/body-size-limit.ts';
import { parseOrReject, readBinaryBody, readJson } from '../read-body.ts';
import type { Rounds } from '../rounds.ts';
import type { ServerStorage } from '../storage.ts';
import { measureUpdate } from '../update-bounds.ts';

/** Room for an update frame's magic, header length and JSON header, beyond 4 bytes per value. */
const FRAME_OVERHEAD_BYTES = 4104;

/** Round settings are a handful of numbers: a small cap is plenty. */
const SETTINGS_BYTES = 64 * 1024;

/** What the round routes need. */
export interface RoundRoutesDeps {
  readonly storage: ServerStorage;
  readonly rounds: Rounds;
  /** Guard of the operator's endpoints. */
  readonly admin: MiddlewareHandler;
  /** Updates one client address may have accepted per round (model version). */
  readonly updatesPerRound: WindowQuota;
  /** The client's key; null (in process) is not subject to the quota. */
  readonly client: (c: Context) => string | null;
  readonly now: () => number;
}

/** GET /round, POST /updates (binary frames) and POST /admin/round. */
export function roundRoutes(deps: RoundRoutesDeps): Hono {
  const { storage, rounds } = deps;
  const app = new Hono();

  app.get('/round', (c) => {
    const config = rounds.config();
    if (config === null)
      throw new HttpError(404, 'not_found', 'no round is open: no model has been published yet.');
    // The deadline and version move: a cached round config would send stale updates.
    c.header('cache-control', 'no-store');
    return c.json(config);
  });

  app.post('/updates', async (c) => {
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/octet-stream')) {
      throw new HttpError(
        415,
        'bad_content_type',
        `updates are binary frames: send content-type application/octet-stream, got '${type || 'none'}'.`,
      );
    }
    // The limit follows the model: an f32 update of the current length plus the header.
    const bytes = await readBinaryBody(
      c,
      FRAME_OVERHEAD_BYTES + 4 * (rounds.config()?.length ?? 1),
    );
    let frame: ReturnType<typeof decodeUpdateFrame>;
    try {
      frame = decodeUpdateFrame(bytes);
    } catch (error) {
      if (error instanceof UpdateFrameError)
        throw new HttpError(400, 'invalid', 'update frame rejected', error.reasons);
      throw error;
    }
    const { header, payload } = frame;
    const client = deps.client(c);
    let window = '';
    const ack = rounds.accept(
      header,
      payload,
      () => measureUpdate(header.encoding, payload, header.length),
      (round) => {
        if (client === null) return;
        window = `${round.model}@${round.modelVersion}`;
        if (deps.updatesPerRound.remaining(client, window) > 0) return;
        const wait = Math.max(1, Math.ceil((round.deadline - deps.now()) / 1000));
        throw new HttpError(
          429,
          'rate_limited',
          `this address already sent the most updates one address may send in round ${round.modelVersion} of '${round.model}'; retry in the next round (check GET /v1/round, at the latest in ${wait} s).`,
          undefined,
          { 'retry-after': String(wait) },
        );
      },
    );
    if (client !== null && ack.status === 'accepted') deps.updatesPerRound.use(client, window, 1);
    return c.json(
      { v: PROTOCOL_VERSION, kind: 'ack' as const, id: header.id, ...ack },
      ack.status === 'accepted' ? 202 : 200,
    );
  });

  app.post('/admin/round', deps.admin, bodySizeLimit({ maxBytes: SETTINGS_BYTES }), async (c) => {
    const changes = parseOrReject(
      RoundSettingsSchema,
      await readJson(c),
      'round settings rejected',
    );
    storage.setSetting('round', JSON.stringify({ ...rounds.settings(), ...changes }));
    // A smaller k may already be met by the pending updates.
    rounds.maybeAggregate();
    return c.json({ settings: rounds.settings(), round: rounds.config() });
  });

  return app;
}
