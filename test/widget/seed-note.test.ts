import { describe, expect, it } from 'vitest';
import type { DemoSeedNote } from '../../src/protocol/demo-seed.ts';
import { modelOriginText, readSeedNote, seedLabel } from '../../src/widget/demo/seed-note.ts';

const SEEDED: DemoSeedNote = { state: 'seeded', visitors: 300, epsilon: 8, delta: 1e-6, pairs: 44 };

describe('demo: the label of the shared model seeded from simulated visitors', () => {
  it('reads the note the server puts in its meta tag', () => {
    expect(readSeedNote(JSON.stringify(SEEDED))).toEqual(SEEDED);
    expect(readSeedNote('{"state":"seeding","visitors":300,"epsilon":8,"delta":0.000001}')).toEqual(
      { state: 'seeding', visitors: 300, epsilon: 8, delta: 1e-6 },
    );
  });

  it('reads no note from an absent, malformed or foreign meta content', () => {
    for (const content of [
      undefined,
      null,
      '',
      'not json',
      '[]',
      '{"state":"trained","visitors":3,"epsilon":1,"delta":0.1}',
      '{"state":"seeded","visitors":-1,"epsilon":1,"delta":0.1}',
      '{"state":"seeded","visitors":3,"epsilon":1,"delta":0}',
    ])
      expect(readSeedNote(content)).toBeNull();
  });

  it('labels the collaborative recommendations as learned from simulated visitors, not real people', () => {
    expect(seedLabel(SEEDED)).toBe(
      'Simulated data: "Visitors who liked … also liked this" was learned through secure aggregation from 300 simulated demo visitors, not real people (privacy panel: where the shared model came from).',
    );
    expect(seedLabel({ ...SEEDED, state: 'seeding' })).toContain(
      'is being learned through secure aggregation from 300 simulated demo visitors',
    );
    expect(seedLabel(null)).toBeNull();
  });

  it('explains in the privacy panel: DAP, two aggregators, ε per simulated visitor, how many, and that the visitor is not in it', () => {
    // Act
    const text = modelOriginText(SEEDED, false);
    // Assert
    expect(text).toContain('learned from 300 simulated demo visitors, not real people');
    expect(text).toContain('secure aggregation (DAP with Prio3)');
    expect(text).toContain('secret shares for two aggregators');
    expect(text).toContain('ε = 8.00 per simulated visitor (δ = 1e-6)');
    expect(text).toContain('44 book pairs cleared the noise');
    expect(text).toContain(
      "Your own data is not in it: your reports (only with sharing on) go to the demo's own open tasks",
    );
    expect(text).toContain('downloads it only while sharing is on');
    expect(modelOriginText(SEEDED, true)).toContain(
      'With sharing on, this device downloads the model (the download sends nothing about you).',
    );
  });

  it('says no seeded model is served when there is none', () => {
    expect(modelOriginText(null, true)).toContain(
      'serves no shared model seeded from simulated visitors',
    );
  });
});
