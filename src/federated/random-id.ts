/** Random update ids: 22 URL-safe characters (≈131 bits), fresh per update — idempotency, not identity. */
import type { Rng } from '../shared/rng.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Draws an id from `rng` (use a cryptographic source in production, a seeded one in tests). */
export function randomUpdateId(rng: Rng): string {
  let id = '';
  for (let i = 0; i < 22; i++) id += ALPHABET[Math.floor(rng() * 64)] ?? 'A';
  return id;
}
