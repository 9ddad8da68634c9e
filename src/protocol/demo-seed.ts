/**
 * What `npm start` tells the demo page about the shared model it seeded from simulated visitors
 * (src/cli/demo-seed.ts), in a `<meta name="hearth-demo-seed">` whose content is this object as
 * JSON: the page labels the collaborative recommendations and the privacy panel explains where the
 * model came from. Server state only, the same for every visitor. No zod here: the demo page's
 * bundle reads it (src/widget/demo/seed-note.ts narrows it by hand).
 */

/** The `<meta name>` of the note. */
export const DEMO_SEED_META = 'hearth-demo-seed';

/** The seed's state as the page shows it. */
export interface DemoSeedNote {
  /** `seeding`: the reports are being made (the page may reload later); `seeded`: it is served. */
  readonly state: 'seeding' | 'seeded';
  /** Simulated visitors whose reports the model is built from (planned ones while seeding). */
  readonly visitors: number;
  /** Each simulated visitor's total ε over the seed's tasks, at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
  /** Book pairs whose released count cleared the noise (seeded only). */
  readonly pairs?: number;
}
