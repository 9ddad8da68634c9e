/**
 * What the private models may read of a catalog: public fields only (ids, categories, a numeric
 * attribute such as the release year). Raw catalog rows (the thin server stores them as the site
 * wrote them) and sanitised items (unknown fields under `extra`) are both accepted.
 */

/** One catalog item's public fields, as the model builders read them. */
export interface PublicItem {
  readonly id: string;
  readonly categories: readonly string[];
  /** Numeric public fields by name (e.g. `year`). */
  readonly numbers: Readonly<Record<string, number>>;
}

/** A finite number from a number or a numeric string, else undefined. */
function finiteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * The public fields of a raw or sanitised catalog item (null when it has no usable id): the
 * `category` (or `categories`) as categories, and every top-level or `extra` field holding a
 * finite number (or a numeric string) as a number.
 */
export function publicItemOf(raw: unknown): PublicItem | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const record = raw as Record<string, unknown>;
  const id = typeof record.id === 'number' ? String(record.id) : record.id;
  if (typeof id !== 'string' || id === '') return null;
  const categories: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string' && value.trim() !== '') categories.push(value.trim());
  };
  add(record.category);
  if (Array.isArray(record.categories)) record.categories.forEach(add);
  const numbers: Record<string, number> = {};
  const extra = record.extra;
  const sources =
    typeof extra === 'object' && extra !== null && !Array.isArray(extra)
      ? [extra as Record<string, unknown>, record]
      : [record];
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (key === 'id') continue;
      const n = finiteNumber(value);
      if (n !== undefined) numbers[key] = n;
    }
  }
  return { id, categories: [...new Set(categories)], numbers };
}

/** Share of the catalog's items an attribute must cover to be used as a kernel. */
export const MIN_ATTRIBUTE_COVERAGE = 0.5;

/**
 * Each id's value of the numeric field `field`, the median of the known values where an item has
 * none; null when fewer than `minCoverage` of the ids have one (the field then says too little).
 */
export function attributeValues(
  ids: readonly string[],
  catalog: ReadonlyMap<string, PublicItem>,
  field: string,
  minCoverage = MIN_ATTRIBUTE_COVERAGE,
): Float64Array | null {
  const values = ids.map((id) => catalog.get(id)?.numbers[field]);
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (known.length === 0 || known.length < minCoverage * ids.length) return null;
  const mid = known.length >> 1;
  const median = known.length % 2 === 1 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
  return Float64Array.from(values, (v) => v ?? median);
}

/** True when at least `minCoverage` of the ids have a category (the category kernel's condition). */
export function hasCategories(
  ids: readonly string[],
  catalog: ReadonlyMap<string, PublicItem>,
  minCoverage = MIN_ATTRIBUTE_COVERAGE,
): boolean {
  const covered = ids.filter((id) => (catalog.get(id)?.categories.length ?? 0) > 0).length;
  return covered > 0 && covered >= minCoverage * ids.length;
}
