/**
 * Every visitor-facing text of Hearth in one table with English defaults that fit any catalog:
 * the element's own texts here, the explanation templates in `src/protocol/strings.ts` (filled
 * in by the worker). A site overrides any of them page-wide (`Hearth.init({ strings })`) or per
 * element (the `strings` attribute, JSON, or the `strings` property). `{name}` placeholders are
 * filled in; an empty `unavailable` hides the element when recommendations fail.
 */
import {
  DEFAULT_EXPLANATION_STRINGS,
  type ExplanationStrings,
  MAX_TEMPLATE_CHARS,
} from '../protocol/strings.ts';

/** The element's own texts. */
export interface WidgetStrings {
  readonly promptLabel: string;
  readonly promptPlaceholder: string;
  /** Read by screen readers after the prompt box. */
  readonly promptNote: string;
  readonly promptSubmit: string;
  /** The element's accessible name (unless the page gives it `aria-label`). */
  readonly regionLabel: string;
  readonly listLabel: string;
  readonly empty: string;
  /** Announced after each render; `{count}`. */
  readonly updated: string;
  readonly like: string;
  readonly liked: string;
  /** `{title}` */
  readonly likeLabel: string;
  readonly dismiss: string;
  /** `{title}` */
  readonly dismissLabel: string;
  /** `{title}` */
  readonly actionsLabel: string;
  readonly loadingModel: string;
  readonly loadingCatalog: string;
  readonly loadingItems: string;
  readonly ready: string;
  /** Shown to visitors when recommendations fail (details go to the console); '' hides it. */
  readonly unavailable: string;
  readonly retry: string;
}

/** Every visitor-facing text: the element's and the explanations'. */
export type HearthStrings = WidgetStrings & ExplanationStrings;

/** The element's English defaults. */
export const DEFAULT_WIDGET_STRINGS: WidgetStrings = {
  promptLabel: 'What are you in the mood for?',
  promptPlaceholder: 'Describe what you are looking for',
  promptNote: 'Your words stay on this device.',
  promptSubmit: 'Suggest',
  regionLabel: 'Recommended for you',
  listLabel: 'Recommendations',
  empty: 'No recommendations yet.',
  updated: '{count} recommendations updated.',
  like: '♡ Like',
  liked: '♥ Liked',
  likeLabel: 'Like {title}',
  dismiss: '✕ Not for me',
  dismissLabel: 'Not interested in {title}',
  actionsLabel: 'Actions for {title}',
  loadingModel: 'Loading the model',
  loadingCatalog: 'Syncing the catalog',
  loadingItems: 'Reading the catalog',
  ready: 'Ready',
  unavailable: 'Recommendations are unavailable right now.',
  retry: 'Try again',
};

/** Every default, element and explanations. */
export const DEFAULT_STRINGS: HearthStrings = {
  ...DEFAULT_WIDGET_STRINGS,
  ...DEFAULT_EXPLANATION_STRINGS,
};

const EXPLANATION_KEYS = new Set(Object.keys(DEFAULT_EXPLANATION_STRINGS));

/** Messages for a site's strings that cannot be used (logged as warnings; defaults stay). */
export const STRINGS_MESSAGES = {
  notJson: (detail: string) =>
    `<hearth-recs strings> is not a JSON object (${detail}); using the default texts. Example: strings='{"promptPlaceholder": "e.g. a warm tent for two"}'.`,
  unknownKey: (key: string) =>
    `Hearth strings: unknown key '${key}' ignored; the keys are listed in docs/widget.md#strings.`,
  notText: (key: string) =>
    `Hearth strings: '${key}' must be a string of at most ${MAX_TEMPLATE_CHARS} characters; using the default.`,
} as const;

/**
 * Keeps the known keys with string values of at most `MAX_TEMPLATE_CHARS` characters; each
 * other entry is reported through `warn` and dropped (its default stays).
 */
export function checkStrings(
  value: unknown,
  warn: (message: string) => void,
): Partial<HearthStrings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    if (!Object.hasOwn(DEFAULT_STRINGS, key)) warn(STRINGS_MESSAGES.unknownKey(key));
    else if (typeof text !== 'string' || text.length > MAX_TEMPLATE_CHARS)
      warn(STRINGS_MESSAGES.notText(key));
    else out[key] = text;
  }
  return out as Partial<HearthStrings>;
}

/** Reads the `strings` attribute (a JSON object); problems are reported through `warn`. */
export function parseStringsAttribute(
  value: string | null,
  warn: (message: string) => void,
): Partial<HearthStrings> {
  if (value === null || value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    warn(STRINGS_MESSAGES.notJson(error instanceof Error ? error.message : String(error)));
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    warn(STRINGS_MESSAGES.notJson(`got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`));
    return {};
  }
  return checkStrings(parsed, warn);
}

/** The explanation templates among a set of overrides (what the worker needs). */
export function explanationOverrides(strings: Partial<HearthStrings>): Partial<ExplanationStrings> {
  const out: Record<string, string> = {};
  for (const [key, text] of Object.entries(strings))
    if (EXPLANATION_KEYS.has(key) && typeof text === 'string') out[key] = text;
  return out as Partial<ExplanationStrings>;
}
