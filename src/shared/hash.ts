/**
 * Hashing, one of each: sha256 for file integrity, and the seeded 32-bit hash family of the
 * frequency oracle (FNV-1a of the item id, then the MurmurHash3 finaliser mixed with the report's
 * seed; client and server must agree bit for bit).
 */

/** Hex sha256 through WebCrypto (available in browsers, workers and Node 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Hashes a pre-hashed key with a 32-bit seed into [0, range). */
export function seededHash(keyHash: number, seed: number, range: number): number {
  let h = (keyHash ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % range;
}
