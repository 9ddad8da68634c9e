/**
 * The explanation sentences a recommendation can carry: one table of templates with English
 * defaults that fit any catalog. The page may override any of them (`Hearth.init({ strings })`,
 * an element's `strings`); the worker fills them in (`src/engine/explain.ts`) and checks the
 * filled text against the deny-list. Placeholders: `{title}` (an item the visitor acted on),
 * `{category}`, `{terms}` (the words of the visitor's prompt). No zod here: the widget bundle
 * imports this table (the request schema is in `recommendation.ts`).
 */

/** Longest template the page may send (a card shows one short line). */
export const MAX_TEMPLATE_CHARS = 200;

/** Every explanation template. */
export interface ExplanationStrings {
  readonly becauseViewed: string;
  readonly becauseLiked: string;
  readonly becauseAdded: string;
  readonly becauseBought: string;
  readonly othersAlsoLiked: string;
  readonly matchesPrompt: string;
  readonly becauseCategory: string;
  readonly popular: string;
  readonly fresh: string;
  readonly explore: string;
  /** A first visit's item, shown to start from its category. */
  readonly starter: string;
  /** The same for an item without a category. */
  readonly starterAny: string;
  readonly picked: string;
}

/** The English defaults: true of any catalog (no "readers", no "books"). */
export const DEFAULT_EXPLANATION_STRINGS: ExplanationStrings = {
  becauseViewed: 'Because you viewed {title}',
  becauseLiked: 'Because you liked {title}',
  becauseAdded: 'Because you added {title}',
  becauseBought: 'Because you bought {title}',
  othersAlsoLiked: 'People who liked {title} also liked this',
  matchesPrompt: 'Matches "{terms}"',
  becauseCategory: 'Because you like {category}',
  popular: 'Popular right now',
  fresh: 'New in the catalog',
  explore: 'Something different to try',
  starter: 'A place to start in {category}',
  starterAny: 'A place to start',
  picked: 'Picked for you',
};
