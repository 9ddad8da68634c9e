/**
 * The demo's labels for the shared model `npm start` seeds from simulated visitors (pure text,
 * tested in Node): the note under the recommendations and the privacy panel's "Where the shared
 * model came from". The server states the seed in `<meta name="hearth-demo-seed">`
 * (src/protocol/demo-seed.ts); it is narrowed here by hand, as the page bundle carries no zod.
 */
import type { DemoSeedNote } from '../../protocol/demo-seed.ts';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The note in a meta tag's content, or null when absent or not a note. */
export function readSeedNote(content: string | null | undefined): DemoSeedNote | null {
  if (!content) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (r.state !== 'seeding' && r.state !== 'seeded') return null;
  if (!finite(r.visitors) || !finite(r.epsilon) || !finite(r.delta) || r.delta === 0) return null;
  return {
    state: r.state,
    visitors: r.visitors,
    epsilon: r.epsilon,
    delta: r.delta,
    ...(finite(r.pairs) ? { pairs: r.pairs } : {}),
  };
}

/** The label under the recommendations, or null when nothing was seeded. */
export function seedLabel(note: DemoSeedNote | null): string | null {
  if (note === null) return null;
  if (note.state === 'seeding')
    return `Simulated data: a shared model is being learned through secure aggregation from ${note.visitors} simulated demo visitors. Reload in a minute for "Visitors who liked … also liked this".`;
  return `Simulated data: "Visitors who liked … also liked this" was learned through secure aggregation from ${note.visitors} simulated demo visitors, not real people (privacy panel: where the shared model came from).`;
}

/** The privacy panel's paragraph on where the shared model came from. */
export function modelOriginText(note: DemoSeedNote | null, consent: boolean): string {
  if (note === null)
    return 'This demo server serves no shared model seeded from simulated visitors.';
  const how = `through secure aggregation (DAP with Prio3): each simulated visitor's reports were split into secret shares for two aggregators (this demo runs both; in production two different parties do), with a proof that each report is well-formed; each aggregator added noise to its sum, and only the noisy sums over all the simulated visitors were released, at ε = ${note.epsilon.toFixed(2)} per simulated visitor (δ = ${note.delta.toExponential(0)}).`;
  const download = consent
    ? 'With sharing on, this device downloads the model (the download sends nothing about you).'
    : 'This device downloads it only while sharing is on (the download sends nothing about you).';
  if (note.state === 'seeding')
    return `The shared model is being learned from ${note.visitors} simulated demo visitors, not real people, ${how} Your own data is not in it. ${download}`;
  const pairs = note.pairs === undefined ? '' : ` ${note.pairs} book pairs cleared the noise.`;
  return `The shared model behind "Visitors who liked … also liked this" and the popularity behind "Popular with readers" were learned from ${note.visitors} simulated demo visitors, not real people, ${how}${pairs} Your own data is not in it: your reports (only with sharing on) go to the demo's own open tasks, released only when the operator collects them. ${download}`;
}
