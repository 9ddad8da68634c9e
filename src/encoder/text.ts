/**
 * Longest input kept before tokenisation, in UTF-16 units per allowed token: a word piece is
 * at most 100 characters, so this never cuts text the tokeniser would still have used.
 */
export const CHARS_PER_TOKEN_LIMIT = 128;

/** Makes arbitrary input safe to tokenise: well-formed UTF-16 (lone surrogates → U+FFFD), bounded length. */
export function prepareText(text: string, maxTokens: number): { text: string; cut: boolean } {
  const limit = maxTokens * CHARS_PER_TOKEN_LIMIT;
  const cut = text.length > limit;
  const bounded = cut ? text.slice(0, limit) : text;
  return { text: toWellFormed(bounded), cut };
}

function toWellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
