/** Where an item sits in a catalog file, as messages write it (no parser needed to read it). */
import type { CatalogLocation } from './normalize.ts';

/** Writes a location for messages: `line 7` or `item 3` (0-based index). */
export function formatLocation(at: CatalogLocation): string {
  return at.kind === 'line' ? `line ${at.line}` : `item ${at.index}`;
}
