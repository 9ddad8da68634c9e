import { describe, expect, it } from 'vitest';

describe('src/index.ts', () => {
  it('imports in Node without side effects and names the main entry points', async () => {
    const api = await import('../src/index.ts');
    expect(typeof api.createEncoder).toBe('function');
    expect(typeof api.createCatalogService).toBe('function');
    expect(typeof api.createEngineService).toBe('function');
    expect(typeof api.createPrivacyGate).toBe('function');
    expect(typeof api.createHearth).toBe('function');
    expect(typeof api.protocol).toBe('object');
    // No element was registered just by importing (Node has no customElements at all).
    expect((globalThis as { customElements?: unknown }).customElements).toBeUndefined();
  });
});
