/**
 * Hashing, one of each: sha256 for file integrity; the 64-bit item key and the seeded hash family
 * of the frequency oracle (FNV-1a 64 of the item id, then two MurmurHash3 finalisers mixed with
 * the report's seed; client and server must agree bit for bit); a 32-bit FNV-1a for cache keys.
 */

/** Hex sha256 through WebCrypto (available in browsers, workers and Node 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * FNV-1a 32-bit hash of a string's UTF-16 code units. For cache keys only: 200k item ids already
 * hold a colliding pair with probability ≈ 99%, so item keys use `itemKey64`.
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 64-bit hash as two unsigned 32-bit halves. */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
}

const FNV64_OFFSET_HI = 0xcbf29ce4;
const FNV64_OFFSET_LO = 0x84222325;
/** The 64-bit FNV prime is 2^40 + 0x1b3. */
const FNV64_PRIME_LOW = 0x1b3;
const TWO_POW_32 = 4294967296;

/**
 * FNV-1a 64 (Fowler–Noll–Vo, draft-eastlake-fnv) of a string's UTF-8 bytes. Lone surrogates are
 * encoded as their own three bytes (WTF-8) rather than replaced, so distinct strings never share
 * a byte sequence. Exact in 32-bit halves: every intermediate product stays below 2^42.
 */
export function fnv1a64(text: string): Hash64 {
  let hi = FNV64_OFFSET_HI;
  let lo = FNV64_OFFSET_LO;
  const byte = (b: number): void => {
    lo = (lo ^ b) >>> 0;
    // (hi·2^32 + lo)·(2^40 + 0x1b3) mod 2^64: lo·2^40 adds lo's low 24 bits, shifted, to hi.
    const low = lo * FNV64_PRIME_LOW;
    hi = (hi * FNV64_PRIME_LOW + Math.floor(low / TWO_POW_32) + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  };
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) byte(code);
    else if (code < 0x800) {
      byte(0xc0 | (code >> 6));
      byte(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      byte(0xe0 | (code >> 12));
      byte(0x80 | ((code >> 6) & 0x3f));
      byte(0x80 | (code & 0x3f));
    } else {
      byte(0xf0 | (code >> 18));
      byte(0x80 | ((code >> 12) & 0x3f));
      byte(0x80 | ((code >> 6) & 0x3f));
      byte(0x80 | (code & 0x3f));
    }
  }
  return { hi, lo };
}

/**
 * The key of an item id in the frequency oracle: 64 bits, so a catalog of n ids holds a
 * colliding pair with probability ≈ n²/2^65 (10^-9 at 200k ids) instead of ≈ 1 at 32 bits.
 */
export function itemKey64(itemId: string): Hash64 {
  return fnv1a64(itemId);
}

/** MurmurHash3's 32-bit finaliser (a bijection with full avalanche). */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a 64-bit key (its halves `hi`, `lo`) with a 32-bit seed into [0, range). Both halves go
 * through a full finaliser, so two distinct keys agree for a fraction ≈ 1/range of the seeds.
 */
export function seededHash64(hi: number, lo: number, seed: number, range: number): number {
  const first = fmix32(lo ^ Math.imul(seed, 0x9e3779b1));
  return fmix32(first ^ hi ^ Math.imul(seed, 0x85ebca77)) % range;
}
