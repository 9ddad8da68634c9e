/**
 * Attacks on the thin server, run against the real app in process (`createApp` over an
 * in-memory database, requests through `app.request()` as if they came from given addresses).
 * Shared by test/server/attacks.test.ts (which asserts the bounds) and bench/server.bench.ts
 * (which reports the figures): how far crafted updates move one weight of the federated ranker,
 * and how many forged OLH reports move the least popular item to the top.
 */
import { olhEncode, olhParams } from '../src/privacy/olh.ts';
import { createApp } from '../src/server/app.ts';
import { openServerStorage } from '../src/server/storage.ts';
import { seededRng } from '../src/shared/rng.ts';
import { modelUploadBody } from '../src/wire/model-upload.ts';
import { encodeUpdateFrame } from '../src/wire/update-codec.ts';

const TOKEN = 'attack-harness-admin-token-0123456789';
const ADMIN = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
/** A fixed clock (one UTC day, one round window) for every attack. */
const NOW = 1_750_000_000_000;

type App = ReturnType<typeof createApp>;

/**
 * The Node bindings @hono/node-server passes a handler, reduced to what the server reads: a
 * socket with the peer address (a new socket object per request, i.e. a new connection) and a
 * request stream already read (so the body comes from the Request).
 */
function fromAddress(address: string) {
  return { incoming: { socket: { remoteAddress: address }, readableDidRead: true } };
}

/** A request to `app` as if sent from `address` over a fresh connection. */
export function requestFrom(
  app: App,
  address: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return Promise.resolve(app.request(path, init, fromAddress(address)));
}

/** The ith address of a pool (documentation range 198.18.0.0/15, one per /32). */
export function poolAddress(pool: number, i: number): string {
  return `198.${18 + (pool & 1)}.${(i >> 8) & 255}.${i & 255}`;
}

function newApp(): App {
  return createApp({
    storage: openServerStorage(':memory:'),
    adminToken: TOKEN,
    now: () => NOW,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
  });
}

async function admin(app: App, method: string, path: string, body: unknown): Promise<void> {
  const res = await app.request(path, { method, headers: ADMIN, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

/** Settings of the federated ranker round that the weight attack targets. */
export interface RankerRound {
  /** Weights of the ranker (D). */
  readonly length: number;
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  /** Updates per round (k). */
  readonly minUpdates: number;
}

async function rankerApp(round: RankerRound): Promise<App> {
  const app = newApp();
  await admin(
    app,
    'PUT',
    '/v1/admin/model',
    modelUploadBody('ranker', new Float32Array(round.length)),
  );
  await admin(app, 'POST', '/v1/admin/round', {
    model: 'ranker',
    clipNorm: round.clipNorm,
    noiseMultiplier: round.noiseMultiplier,
    minUpdates: round.minUpdates,
  });
  return app;
}

let updateCounter = 0;
function postUpdate(app: App, address: string, values: Float32Array): Promise<Response> {
  updateCounter += 1;
  const body = encodeUpdateFrame(
    {
      v: 1,
      kind: 'update',
      id: `attack-${String(updateCounter).padStart(12, '0')}`,
      model: 'ranker',
      modelVersion: 0,
      length: values.length,
      encoding: 'f32',
    },
    values,
  );
  return requestFrom(app, address, '/v1/updates', {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body,
  });
}

function oneHot(length: number, value: number): Float32Array {
  const v = new Float32Array(length);
  v[0] = value;
  return v;
}

/**
 * The largest value on one weight that the server accepts in a single update, found by
 * bisection on a server of the attacker's own with the same round settings (every probe from a
 * new address, k out of reach so nothing aggregates).
 */
export async function largestAcceptedValue(round: RankerRound): Promise<number> {
  const probe = await rankerApp({ ...round, minUpdates: 100_000 });
  let lo = 0;
  let hi = 1;
  let probes = 0;
  const accepted = async (value: number) =>
    (await postUpdate(probe, poolAddress(1, probes++), oneHot(round.length, value))).status === 202;
  while (await accepted(hi)) hi *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (await accepted(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** What the weight attack achieved. */
export interface WeightAttackResult {
  /** The largest single-update value on the weight the server accepts. */
  readonly perUpdate: number;
  /** Crafted uploads the server accepted (of `uploads`). */
  readonly accepted: number;
  /** Change of the attacked weight once the round closed. */
  readonly weightChange: number;
}

/**
 * One attacker sends `uploads` crafted updates (the largest accepted value on weight 0, zero
 * elsewhere), spread over `addresses` addresses, then honest clients whose updates are zero (so
 * the change measured is the attacker's alone) fill the round. Returns the weight's change.
 */
export async function weightAttack(
  round: RankerRound,
  attack: { readonly uploads: number; readonly addresses: number },
): Promise<WeightAttackResult> {
  const perUpdate = await largestAcceptedValue(round);
  const app = await rankerApp(round);
  let accepted = 0;
  for (let i = 0; i < attack.uploads; i++) {
    const res = await postUpdate(
      app,
      poolAddress(0, i % attack.addresses),
      oneHot(round.length, perUpdate),
    );
    if (res.status === 202) accepted++;
  }
  // Honest clients, one per address, until the round aggregates (version 1 appears).
  for (let h = 0; h < round.minUpdates; h++) {
    const ack = (await (
      await postUpdate(app, `203.0.113.${h + 1}`, new Float32Array(round.length))
    ).json()) as {
      modelVersion?: number;
    };
    if (ack.modelVersion === 1) break;
  }
  const models = (await (await app.request('/v1/model?name=ranker')).json()) as {
    models: { version: number; data: string }[];
  };
  const latest = models.models[0];
  if (latest?.version !== 1) throw new Error('the attacked round did not aggregate');
  const raw = Buffer.from(latest.data, 'base64');
  const weight = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 4))[0] ?? 0;
  return { perUpdate, accepted, weightChange: weight };
}

/** What the popularity attack needed. */
export interface PopularityAttackResult {
  /** Forged reports the server accepted until the target was first (or until it refused all). */
  readonly forgedAccepted: number;
  /** Forged reports the server refused (429). */
  readonly forgedRefused: number;
  /** Addresses that sent accepted forged reports. */
  readonly addressesUsed: number;
  /** Whether the least popular item reached the top of GET /v1/aggregates. */
  readonly reachedFirst: boolean;
}

/** Scenario of the popularity attack: a catalog with Zipf-distributed honest reports. */
export interface PopularityScenario {
  readonly items: number;
  readonly honestReports: number;
  /** Honest reports per honest address. */
  readonly honestPerAddress: number;
  readonly seed: number;
}

/** The POST /v1/telemetry request for a batch of OLH reports ([seed, value] pairs). */
export function telemetryInit(
  reports: readonly (readonly [number, number])[],
  epsilon = 2,
): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ v: 2, kind: 'telemetry', mechanism: 'olh', epsilon, reports }),
  };
}

async function postReports(app: App, address: string, reports: [number, number][]) {
  return requestFrom(app, address, '/v1/telemetry', telemetryInit(reports));
}

async function ranking(app: App, items: number): Promise<string[]> {
  const agg = (await (await app.request(`/v1/aggregates?limit=${items}`)).json()) as {
    items: { itemId: string }[];
  };
  return agg.items.map((i) => i.itemId);
}

/**
 * Honest visitors send `honestReports` OLH reports (ε = 2, items drawn Zipf(1)); then an attacker
 * forges reports that all support the item ranked last (OLH with p = 1: the true hash value,
 * always), in batches of 20 from `addresses` addresses in turn (each until refused), checking
 * after each batch whether that item is now first. Stops at `maxForged` reports.
 */
export async function popularityAttack(
  scenario: PopularityScenario,
  attack: { readonly addresses: number; readonly maxForged: number },
): Promise<PopularityAttackResult> {
  const app = newApp();
  const ids = Array.from({ length: scenario.items }, (_, i) => `item-${i}`);
  await admin(
    app,
    'PUT',
    '/v1/admin/catalog',
    ids.map((id) => ({ id, title: id })),
  );
  const rng = seededRng(scenario.seed);
  const params = olhParams(2);
  const harmonic = ids.reduce((s, _, i) => s + 1 / (i + 1), 0);
  const zipf = (): string => {
    let u = rng() * harmonic;
    for (let i = 0; i < ids.length; i++) {
      u -= 1 / (i + 1);
      if (u <= 0) return ids[i] ?? '';
    }
    return ids.at(-1) ?? '';
  };
  for (let sent = 0, a = 0; sent < scenario.honestReports; a++) {
    const n = Math.min(scenario.honestPerAddress, scenario.honestReports - sent);
    const reports = Array.from({ length: n }, () => {
      const r = olhEncode(zipf(), params, rng);
      return [r.seed, r.value] as [number, number];
    });
    for (let s = 0; s < reports.length; s += 20)
      await postReports(app, `100.64.${(a >> 8) & 255}.${a & 255}`, reports.slice(s, s + 20));
    sent += n;
  }
  const target = (await ranking(app, scenario.items)).at(-1) ?? '';
  const forger = { ...params, p: 1 };
  let accepted = 0;
  let refused = 0;
  const used = new Set<number>();
  const exhausted = new Set<number>();
  let address = 0;
  while (accepted < attack.maxForged && exhausted.size < attack.addresses) {
    const reports = Array.from({ length: 20 }, () => {
      const r = olhEncode(target, forger, rng);
      return [r.seed, r.value] as [number, number];
    });
    const res = await postReports(app, poolAddress(0, address), reports);
    if (res.status === 202) {
      accepted += reports.length;
      used.add(address);
      if ((await ranking(app, 1))[0] === target)
        return {
          forgedAccepted: accepted,
          forgedRefused: refused,
          addressesUsed: used.size,
          reachedFirst: true,
        };
    } else {
      refused += reports.length;
      exhausted.add(address);
      address = (address + 1) % attack.addresses;
    }
  }
  return {
    forgedAccepted: accepted,
    forgedRefused: refused,
    addressesUsed: used.size,
    reachedFirst: false,
  };
}
