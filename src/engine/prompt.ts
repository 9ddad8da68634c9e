/**
 * Prompt-level personalization: a sentence the visitor typed, split into what they want and
 * what they negate ("cozy mysteries, nothing too dark" → want "cozy mysteries", avoid "dark").
 * The prompt and its vectors live in memory only; this module never stores or sends them.
 */
import { normalized } from '../shared/vector-math.ts';

/** A prompt split into its wanted part and its negated phrases. */
export interface ParsedPrompt {
  readonly positive: string;
  readonly negations: readonly string[];
}

/** A prompt ready for scoring. */
export interface PromptSignal {
  /** Unit vector of the wanted part, or null when nothing is wanted (only negations). */
  readonly vector: Float32Array | null;
  /** Content words of the wanted part (for explanations). */
  readonly terms: readonly string[];
  /** Negated phrases with their vectors and content words. */
  readonly negations: readonly {
    readonly phrase: string;
    readonly terms: readonly string[];
    readonly vector: Float32Array | null;
  }[];
}

const NEGATION_CUES = new Set(['no', 'not', 'nothing', 'without', 'except', 'never', 'none']);
const PHRASE_END = new Set(['but', 'and', 'or', 'yet', 'though', 'although', 'please']);
const FILLER = new Set([
  'a',
  'an',
  'the',
  'too',
  'very',
  'so',
  'any',
  'anything',
  'more',
  'much',
  'really',
  'overly',
  'i',
  'me',
  'my',
  'want',
  'like',
  'something',
  'some',
  'of',
  'for',
  'to',
  'with',
  'that',
  'is',
  'are',
  'be',
  'in',
  'on',
  'please',
  'just',
  'please',
  'maybe',
  'kind',
  'sort',
  'stuff',
  'things',
]);

/** Content words of a phrase (lower-cased, filler removed). */
export function contentTerms(phrase: string): string[] {
  const words = phrase.toLowerCase().match(/[\p{L}\p{N}'-]+/gu) ?? [];
  return words.filter((w) => !FILLER.has(w) && !NEGATION_CUES.has(w) && !PHRASE_END.has(w));
}

/**
 * Splits a prompt at its negation cues ("no", "not", "nothing", "without", "except", "never",
 * "none"): each cue negates the words after it up to punctuation or a conjunction.
 */
export function parsePrompt(prompt: string): ParsedPrompt {
  const tokens = prompt.toLowerCase().match(/[\p{L}\p{N}'-]+|[.,;:!?()]/gu) ?? [];
  const positive: string[] = [];
  const negations: string[] = [];
  let current: string[] | null = null;
  for (const token of tokens) {
    if (NEGATION_CUES.has(token) || token === "don't" || token === "isn't") {
      if (current && current.length > 0) negations.push(current.join(' '));
      current = [];
      continue;
    }
    if (/^[.,;:!?()]$/u.test(token) || PHRASE_END.has(token)) {
      if (current) {
        if (current.length > 0) negations.push(current.join(' '));
        current = null;
      }
      continue;
    }
    (current ?? positive).push(token);
  }
  if (current && current.length > 0) negations.push(current.join(' '));
  const cleaned = negations.map((n) => contentTerms(n).join(' ')).filter((n) => n !== '');
  return { positive: contentTerms(positive.join(' ')).join(' '), negations: cleaned };
}

/** What the engine needs of an encoder: text in, unit vectors out (the encoder satisfies it). */
export interface TextEmbedder {
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Parses and embeds a prompt on the device. */
export async function encodePrompt(encoder: TextEmbedder, prompt: string): Promise<PromptSignal> {
  const parsed = parsePrompt(prompt);
  const texts = [parsed.positive, ...parsed.negations];
  const vectors = await encoder.embed(texts);
  return {
    vector: parsed.positive === '' ? null : normalized(vectors[0] ?? new Float32Array(0)),
    terms: contentTerms(parsed.positive),
    negations: parsed.negations.map((phrase, i) => ({
      phrase,
      terms: contentTerms(phrase),
      vector: normalized(vectors[i + 1] ?? new Float32Array(0)),
    })),
  };
}
