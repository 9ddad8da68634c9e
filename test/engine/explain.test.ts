import { describe, expect, it } from 'vitest';
import { explanationText, exploreReason, fallbackReason } from '../../src/engine/explain.ts';

describe('explanations', () => {
  it('explains a similar-item reason with the viewed title', () => {
    expect(explanationText({ kind: 'similar', itemId: 'a', title: 'Dracula' })).toBe(
      'Because you viewed Dracula',
    );
  });

  it('applies the deny-list to the fallback reason too', () => {
    expect(fallbackReason({ terms: [] }).text).toBe('Picked for you');
    expect(fallbackReason({ terms: ['picked'] }).text).toBe('');
  });

  it('falls back from a denied exploration reason', () => {
    expect(exploreReason({ terms: [] }).reason.kind).toBe('explore');
    expect(exploreReason({ terms: ['different'] }).reason.kind).toBe('picked');
  });
});
