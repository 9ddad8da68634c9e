/** Filters accepted by `VectorIndex.topK`. All given conditions must hold for a row to be returned. */
export interface IndexFilter {
  /** Keep only rows in this category (or in any of these). Rows without a category never match. */
  readonly category?: string | readonly string[];
  /** When true, keep only available rows. */
  readonly availableOnly?: boolean;
  /** Never return these ids. */
  readonly excludeIds?: Iterable<string>;
  /** Arbitrary test on the row index (called last, only for rows that pass the other tests). */
  readonly predicate?: (row: number) => boolean;
}

/** One search result; `score` is the cosine similarity between the query and the row. */
export interface SearchHit {
  readonly id: string;
  readonly row: number;
  readonly score: number;
}
