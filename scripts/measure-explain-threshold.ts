/**
 * Measures the similarity a "Because you viewed X" reason needs (`npx tsx
 * scripts/measure-explain-threshold.ts [--json]`): embeds labelled catalogs with the shipped
 * encoder exactly as the catalog sync does (`embedText`), takes every pair of items, and for
 * each cosine threshold τ reports the precision (share of pairs at or above τ that are in the
 * same category: "related") and the recall (share of same-category pairs at or above τ). The
 * engine's `SIMILAR_REASON_MIN` is the smallest τ whose precision reaches the target on the demo
 * catalog (300 books, 15 categories); the gear catalog (20 items, 5 categories) is a check on a
 * foreign catalog.
 */
import { readFileSync } from 'node:fs';
import { embedText } from '../src/catalog/embed-text.ts';
import { createEncoder } from '../src/encoder/index.ts';
import { GEAR_CATALOG } from '../support/gear-catalog.ts';

interface Labelled {
  readonly title: string;
  readonly author?: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly category: string;
}

/** Target precision: a named item is related more often than not. */
const TARGET_PRECISION = 0.5;

/** MovieLens label: users who rated X rated Y this many times as often as all users did. */
const LIFT = Number(process.env.LIFT ?? 3);

/**
 * The label: two items are related when they share the category, a tag or the author (a shop's
 * own grouping; books in different categories can still be close, e.g. a gothic tale tagged like
 * a mystery).
 */
function related(a: Labelled, b: Labelled): boolean {
  if (a.category === b.category) return true;
  if (a.author !== undefined && a.author === b.author) return true;
  const tags = new Set(a.tags.map((t) => t.toLowerCase()));
  return b.tags.some((t) => tags.has(t.toLowerCase()));
}

async function pairs(items: readonly Labelled[]) {
  const encoder = await createEncoder();
  const vectors = await encoder.embed(items.map((i) => embedText({ ...i, tags: [...i.tags] })));
  await encoder.dispose();
  const out: { cos: number; same: boolean; a: string; b: string; i: number; j: number }[] = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      let cos = 0;
      const a = vectors[i]!;
      const b = vectors[j]!;
      for (let k = 0; k < a.length; k++) cos += a[k]! * b[k]!;
      out.push({
        cos,
        same: related(items[i]!, items[j]!),
        a: items[i]!.title,
        b: items[j]!.title,
        i,
        j,
      });
    }
  return out;
}

/**
 * The pairs an explanation can name: each item with its `k` nearest items (a recommended item
 * next to something the visitor viewed), each unordered pair once.
 */
function neighbourPairs<P extends { cos: number; i: number; j: number }>(
  list: P[],
  k: number,
): P[] {
  const byItem = new Map<number, P[]>();
  for (const p of list) {
    for (const x of [p.i, p.j]) byItem.set(x, [...(byItem.get(x) ?? []), p]);
  }
  const keep = new Set<P>();
  for (const ps of byItem.values())
    for (const p of [...ps].sort((a, b) => b.cos - a.cos).slice(0, k)) keep.add(p);
  return [...keep];
}

function curve(list: { cos: number; same: boolean }[]) {
  const related = list.filter((p) => p.same).length;
  const rows: { tau: number; precision: number; recall: number; pairs: number }[] = [];
  for (let t = 0; t <= 80; t += 1) {
    const tau = t / 100;
    const above = list.filter((p) => p.cos >= tau);
    const hits = above.filter((p) => p.same).length;
    rows.push({
      tau,
      precision: above.length === 0 ? 1 : hits / above.length,
      recall: related === 0 ? 0 : hits / related,
      pairs: above.length,
    });
  }
  return { baseRate: related / list.length, rows };
}

/**
 * Prompt reasons ("Matches …"): every tag that at least 3 books carry is a prompt; a book matches
 * it when it carries the tag. Pairs are (prompt, book) with the cosine of the prompt's vector and
 * the book's.
 */
async function promptPairs(items: readonly Labelled[]) {
  const counts = new Map<string, number>();
  for (const i of items)
    for (const t of new Set(i.tags.map((x) => x.toLowerCase())))
      counts.set(t, (counts.get(t) ?? 0) + 1);
  const prompts = [...counts].filter(([, n]) => n >= 3).map(([t]) => t);
  const encoder = await createEncoder();
  const books = await encoder.embed(items.map((i) => embedText({ ...i, tags: [...i.tags] })));
  const queries = await encoder.embed(prompts);
  await encoder.dispose();
  const out: { cos: number; same: boolean }[] = [];
  prompts.forEach((prompt, p) => {
    items.forEach((item, b) => {
      let cos = 0;
      for (let k = 0; k < queries[p]!.length; k++) cos += queries[p]![k]! * books[b]![k]!;
      out.push({ cos, same: item.tags.some((t) => t.toLowerCase() === prompt) });
    });
  });
  return { prompts: prompts.length, pairs: out };
}

const demo = JSON.parse(readFileSync('public/demo-catalog.json', 'utf8')) as Labelled[];

const gearPairs = await pairs(GEAR_CATALOG);
const bookPairs = await pairs(demo);
const gear = curve(gearPairs);
const books = curve(bookPairs);
const booksNear = curve(neighbourPairs(bookPairs, 10));
const chosen = books.rows.find((r) => r.precision >= TARGET_PRECISION)?.tau ?? null;
const promptSet = await promptPairs(demo);
const prompt = curve(promptSet.pairs);
const promptChosen = prompt.rows.find((r) => r.precision >= TARGET_PRECISION) ?? null;
const at = (c: typeof books, tau: number | null) => c.rows.find((r) => r.tau === tau) ?? null;
const pair = (a: string, b: string) =>
  [...gearPairs, ...bookPairs].find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a))
    ?.cos ?? null;
const result = {
  targetPrecision: TARGET_PRECISION,
  threshold: chosen,
  books: { baseRate: books.baseRate, atThreshold: at(books, chosen) },
  booksNearest10: { baseRate: booksNear.baseRate, atThreshold: at(booksNear, chosen) },
  gear: { baseRate: gear.baseRate, atThreshold: at(gear, chosen) },
  prompt: { prompts: promptSet.prompts, baseRate: prompt.baseRate, atTarget: promptChosen },
  examples: {
    'Kids Sleeping Bag ~ Steel Crampons': pair('Kids Sleeping Bag', 'Steel Crampons'),
    'Ice Axe ~ Steel Crampons': pair('Ice Axe', 'Steel Crampons'),
    'Kids Sleeping Bag ~ Down Sleeping Bag -10°C': pair(
      'Kids Sleeping Bag',
      'Down Sleeping Bag -10°C',
    ),
    'A Vindication of the Rights of Woman ~ The Hound of the Baskervilles': pair(
      'A Vindication of the Rights of Woman',
      'The Hound of the Baskervilles',
    ),
    'Dracula ~ Carmilla': pair('Dracula', 'Carmilla'),
  },
};
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const r of books.rows.filter((x) => x.tau >= 0.3 && x.tau <= 0.7))
    process.stdout.write(
      `τ ${r.tau.toFixed(2)}  books P ${r.precision.toFixed(3)} R ${r.recall.toFixed(3)} n ${r.pairs}   gear P ${at(gear, r.tau)?.precision.toFixed(3)} R ${at(gear, r.tau)?.recall.toFixed(3)}\n`,
    );
}

/**
 * `--movielens DIR`: the same curves with a behavioural label on MovieLens (training part of the
 * leave-last-out split, as `hearth eval`): among the 1,000 most-rated items, X and Y are related
 * when the users who rated X rated Y at least twice as often as all users did (lift ≥ 2). Two
 * signals are measured against it: the content cosine of the item texts (the "viewed" reason)
 * and the collaborative cosine between X's history row and Y's target row of the trained collab
 * model (the "people who liked X also liked this" reason).
 */
async function movieLensCurves(dir: string) {
  const { loadMovieLens } = await import('../src/eval/movielens.ts');
  const { leaveLastOut } = await import('../src/eval/split.ts');
  const { prepareSplit } = await import('../src/eval/hearth-method.ts');
  const { DEFAULT_COLLAB_TRAIN_OPTIONS } = await import('../src/models/collab-train.ts');
  const data = loadMovieLens(dir);
  const split = leaveLastOut(data.interactions);
  const encoder = await createEncoder();
  const { context, collab } = await prepareSplit(data, split, {
    encoder,
    collab: DEFAULT_COLLAB_TRAIN_OPTIONS,
    seed: 1,
    log: () => undefined,
  });
  await encoder.dispose();
  const users = split.train.length;
  const words = Math.ceil(users / 32);
  const raters = new Map<number, Uint32Array>();
  split.train.forEach((rows, u) => {
    for (const r of rows) {
      const bits = raters.get(r) ?? new Uint32Array(words);
      bits[u >>> 5]! |= 1 << (u & 31);
      raters.set(r, bits);
    }
  });
  const popcount = (x: number) => {
    let v = x - ((x >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  };
  const count = (bits: Uint32Array) => bits.reduce((s, w) => s + popcount(w), 0);
  const top = [...raters.entries()]
    .map(([row, bits]) => ({ row, bits, n: count(bits) }))
    .sort((a, b) => b.n - a.n)
    .slice(0, 1000);
  const collabRow = new Map(collab.itemIds.map((id, i) => [id, i]));
  const unit = (m: Float32Array, r: number) => {
    const v = m.subarray(r * collab.dims, (r + 1) * collab.dims);
    let n = 0;
    for (const x of v) n += x * x;
    return { v, n: Math.sqrt(n) || 1 };
  };
  const content: { cos: number; same: boolean }[] = [];
  const collabPairs: { cos: number; same: boolean }[] = [];
  for (let a = 0; a < top.length; a++)
    for (let b = 0; b < top.length; b++) {
      if (a === b) continue;
      const x = top[a]!;
      const y = top[b]!;
      let both = 0;
      for (let w = 0; w < words; w++) both += popcount(x.bits[w]! & y.bits[w]!);
      const lift = (both * users) / (x.n * y.n);
      const same = lift >= LIFT;
      if (a < b) {
        let cos = 0;
        const vx = context.vectors.subarray(x.row * context.dims, (x.row + 1) * context.dims);
        const vy = context.vectors.subarray(y.row * context.dims, (y.row + 1) * context.dims);
        for (let k = 0; k < context.dims; k++) cos += vx[k]! * vy[k]!;
        content.push({ cos, same });
      }
      const cx = collabRow.get(split.itemIds[x.row]!);
      const cy = collabRow.get(split.itemIds[y.row]!);
      if (cx === undefined || cy === undefined) continue;
      const h = unit(collab.history, cx);
      const t = unit(collab.target, cy);
      let dot = 0;
      for (let k = 0; k < collab.dims; k++) dot += h.v[k]! * t.v[k]!;
      collabPairs.push({ cos: dot / (h.n * t.n), same });
    }
  return { content: curve(content), collab: curve(collabPairs) };
}

const movieLensAt = process.argv.indexOf('--movielens');
if (movieLensAt >= 0) {
  const dir = process.argv[movieLensAt + 1];
  if (dir === undefined) throw new Error('--movielens needs a folder');
  const ml = await movieLensCurves(dir);
  const pick = (c: ReturnType<typeof curve>) =>
    c.rows.find((r) => r.precision >= TARGET_PRECISION) ?? null;
  const summary = {
    movielens: {
      content: { baseRate: ml.content.baseRate, atTarget: pick(ml.content) },
      collab: { baseRate: ml.collab.baseRate, atTarget: pick(ml.collab) },
    },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  for (const r of ml.collab.rows.filter((x) => (x.tau * 100) % 5 === 0)) {
    const c = ml.content.rows.find((x) => x.tau === r.tau);
    process.stdout.write(
      `τ ${r.tau.toFixed(2)}  content P ${c?.precision.toFixed(3)} R ${c?.recall.toFixed(3)}   collab P ${r.precision.toFixed(3)} R ${r.recall.toFixed(3)} n ${r.pairs}\n`,
    );
  }
}
