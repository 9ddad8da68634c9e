import { describe, expect, it } from 'vitest';
import { explanationText, exploreReason, fallbackReason } from '../../src/engine/explain.ts';

describe('explanations', () => {
  it('explains a similar-item reason with the viewed title', () => {
    expect(
      explanationText({ kind: 'similar', itemId: 'a', title: 'Dracula', action: 'view' }),
    ).toBe('Because you viewed Dracula');
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

describe("explanations in the site's words", () => {
  it("uses the site's templates and keeps the English default for the rest", () => {
    // Arrange
    const strings = {
      becauseLiked: 'You loved {title}',
      othersAlsoLiked: 'Fans of {title} pick this',
    };
    // Act
    const liked = explanationText(
      { kind: 'similar', itemId: 'a', title: 'Ice Axe', action: 'like' },
      strings,
    );
    const others = explanationText({ kind: 'collab', itemId: 'a', title: 'Ice Axe' }, strings);
    const viewed = explanationText(
      { kind: 'similar', itemId: 'a', title: 'Ice Axe', action: 'view' },
      strings,
    );
    // Assert
    expect([liked, others, viewed]).toEqual([
      'You loved Ice Axe',
      'Fans of Ice Axe pick this',
      'Because you viewed Ice Axe',
    ]);
  });

  it("applies the deny-list to the site's filled-in template, not only to the defaults", () => {
    // Arrange
    const deny = { terms: ['bargain'] };
    // Act
    const explore = exploreReason(deny, { explore: 'A bargain to try' });
    const fallback = fallbackReason(deny, { picked: 'Bargain of the day' });
    // Assert
    expect(explore).toEqual({ reason: { kind: 'picked' }, text: 'Picked for you' });
    expect(fallback.text).toBe('');
  });
});
