/**
 * The only value a catalog sync ever sends back to a catalog server: a sha256 the client
 * computes itself from the items it received (never the server's ETag, version string or any
 * header). The thin server computes the same value (`src/server/catalog.ts`), uses it as its
 * ETag and maps it to a version it served, so it can still answer 304 or a delta.
 *
 * - After a full `{ version, items }` body: `sha256(JSON.stringify(items))`. The version string is
 *   left out on purpose: a server could put a per-visitor tag there.
 * - After a delta `{ version, since, upserts, deletions }` applied on top of hash `h`:
 *   `sha256(h + "\n" + JSON.stringify({ upserts, deletions }))`, a chain both sides can compute.
 *
 * `JSON.stringify` of a value that came out of `JSON.parse` is canonical enough here: both sides
 * stringify the parsed items (key order and number forms survive a parse/stringify round trip).
 */
import { sha256Hex } from '../shared/hash.ts';

/** A content hash as sent on the wire: 64 lowercase hex digits, nothing else. */
const CONTENT_HASH = /^[0-9a-f]{64}$/;

/** True for a value that has the content-hash format (and so cannot carry anything else). */
export function isContentHash(value: unknown): value is string {
  return typeof value === 'string' && CONTENT_HASH.test(value);
}

/** The content hash of a full catalog's items (raw, as received). */
export function catalogItemsHash(items: readonly unknown[]): Promise<string> {
  return sha256Hex(new TextEncoder().encode(JSON.stringify(items)));
}

/** The content hash after applying a delta's raw upserts and deletions on top of `previous`. */
export function deltaChainHash(
  previous: string,
  upserts: readonly unknown[],
  deletions: readonly string[],
): Promise<string> {
  const change = JSON.stringify({ upserts, deletions });
  return sha256Hex(new TextEncoder().encode(`${previous}\n${change}`));
}
