/**
 * The explanation sentences a recommendation can carry: one table of templates with English
 * defaults that fit any catalog. The page may override any of them (`Hearth.init({ strings })`,
 * an element's `strings`); the worker fills them in (`src/engine/explain.ts`) and checks the
 * filled text against the deny-list. Placeholders: `{title}` (an item the visitor acted on),
 * `{category}`, `{terms}` (the words of the visitor's prompt).
 */
import { z } from 'zod';

/** Longest template the page may send (a card shows one short line). */
export const MAX_TEMPLATE_CHARS = 200;

const template = z.string().max(MAX_TEMPLATE_CHARS);

/** Overrides of the explanation templates as the page sends them with a recommend request. */
export const ExplanationStringsSchema = z
  .strictObject({
    becauseViewed: template,
    becauseLiked: template,
    becauseAdded: template,
    becauseBought: template,
    othersAlsoLiked: template,
    matchesPrompt: template,
    becauseCategory: template,
    popular: template,
    fresh: template,
    explore: template,
    starter: template,
    starterAny: template,
    picked: template,
  })
  .partial();

/** Every explanation template. */
export type ExplanationStrings = Required<z.infer<typeof ExplanationStringsSchema>>;

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
