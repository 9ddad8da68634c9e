/**
 * Simulated visitors of the demo bookshop, for `npm start`'s seed (src/cli/demo-seed.ts): each
 * has a taste (one group of related categories), likes a handful of distinct books — mostly from
 * its taste, the better-known books of a category more often (a Zipf law over the catalog's own
 * order within the category, which lists the famous titles first), now and then another book by
 * the author it just liked, and now and then any book at all (noise). Seeded: the same catalog and
 * seed give the same visitors. These histories never leave the seeding process as such: each
 * visitor turns its own into DAP reports, like a browser would.
 */
import type { Rng } from '../shared/rng.ts';

/** What the simulation reads of a catalog item. */
export interface DemoBook {
  readonly id: string;
  readonly category?: string | undefined;
  readonly author?: string | undefined;
}

/** How the simulated visitors choose their books. */
export interface DemoTasteParams {
  /** Groups of categories one visitor likes together; a category in none is a taste of its own. */
  readonly tastes: readonly (readonly string[])[];
  /** Fewest and most books one visitor likes. */
  readonly minLikes: number;
  readonly maxLikes: number;
  /** Share of likes drawn from the whole catalog, whatever the taste. */
  readonly noise: number;
  /** Chance that the next like is another book by the author just liked (when there is one). */
  readonly sameAuthor: number;
  /** Zipf exponent over a category's books in catalog order. */
  readonly zipf: number;
}

/**
 * The demo's tastes: categories a reader of the demo catalog plausibly likes together. Any other
 * catalog works too: its categories that appear here are grouped, the rest stand alone.
 */
export const DEMO_TASTES: DemoTasteParams = {
  tastes: [
    ['Horror', 'Mystery'],
    ['Science Fiction', 'Science'],
    ['Fantasy', 'Children'],
    ['Romance', 'Drama', 'Poetry'],
    ['Philosophy', 'History'],
    ['Adventure', 'Travel'],
    ['Classics', 'Humor'],
  ],
  minLikes: 4,
  maxLikes: 7,
  noise: 0.15,
  sameAuthor: 0.3,
  zipf: 1.1,
};

/** A simulated visitor: the ids of the books it liked, oldest first. */
export interface DemoVisitor {
  /** The categories of its taste. */
  readonly taste: readonly string[];
  readonly likes: readonly string[];
}

/** Index of a draw from unnormalised `weights`. */
function pick(weights: readonly number[], rng: Rng): number {
  const total = weights.reduce((t, w) => t + w, 0);
  let u = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] ?? 0;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** The tastes that exist in `books`: each group's categories present, then every lone category. */
export function tastesOf(books: readonly DemoBook[], params: DemoTasteParams): string[][] {
  const present = new Set(books.flatMap((b) => (b.category ? [b.category] : [])));
  const grouped = params.tastes
    .map((group) => group.filter((c) => present.has(c)))
    .filter((group) => group.length > 0);
  const taken = new Set(grouped.flat());
  const alone = [...present].filter((c) => !taken.has(c)).map((c) => [c]);
  return [...grouped, ...alone];
}

/** `count` simulated visitors over `books` (at least two books), drawn from `rng`. */
export function simulateDemoVisitors(
  books: readonly DemoBook[],
  count: number,
  rng: Rng,
  params: DemoTasteParams = DEMO_TASTES,
): DemoVisitor[] {
  if (books.length < 2) return [];
  const byCategory = new Map<string, number[]>();
  const byAuthor = new Map<string, number[]>();
  books.forEach((b, i) => {
    if (b.category) byCategory.set(b.category, [...(byCategory.get(b.category) ?? []), i]);
    if (b.author) byAuthor.set(b.author, [...(byAuthor.get(b.author) ?? []), i]);
  });
  // Zipf weights over each category's books in catalog order (the catalog lists the famous first).
  const zipf = (rows: readonly number[]) => rows.map((_, rank) => 1 / (rank + 1) ** params.zipf);
  const tastes = tastesOf(books, params);
  // A taste is chosen in proportion to its books: big sections have more readers.
  const tasteWeights = tastes.map((t) =>
    t.reduce((n, c) => n + (byCategory.get(c)?.length ?? 0), 0),
  );
  const visitors: DemoVisitor[] = [];
  for (let v = 0; v < count; v++) {
    const taste = tastes.length === 0 ? [] : (tastes[pick(tasteWeights, rng)] ?? []);
    const wanted = params.minLikes + Math.floor(rng() * (params.maxLikes - params.minLikes + 1));
    const target = Math.min(wanted, books.length);
    const liked: number[] = [];
    const has = new Set<number>();
    let guard = 0;
    while (liked.length < target && guard++ < 100 * target) {
      const last = liked.at(-1);
      const author = last === undefined ? undefined : books[last]?.author;
      const sameAuthor = author === undefined ? [] : (byAuthor.get(author) ?? []);
      let row: number;
      if (sameAuthor.length > 1 && rng() < params.sameAuthor)
        row = sameAuthor[Math.floor(rng() * sameAuthor.length)] ?? 0;
      else if (taste.length === 0 || rng() < params.noise) row = Math.floor(rng() * books.length);
      else {
        const rows = byCategory.get(taste[Math.floor(rng() * taste.length)] ?? '') ?? [];
        row = rows[pick(zipf(rows), rng)] ?? 0;
      }
      if (has.has(row)) continue;
      has.add(row);
      liked.push(row);
    }
    visitors.push({ taste, likes: liked.map((r) => books[r]?.id ?? '') });
  }
  return visitors;
}
