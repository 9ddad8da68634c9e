/** What text of an item is embedded, and the hash that keys its vector. */
import type { CatalogItem } from '../protocol/catalog.ts';

/** The text embedded for an item: title, category, tags, then the description. */
export function embedText(
  item: Pick<CatalogItem, 'title' | 'description' | 'tags' | 'category'>,
): string {
  const head = [item.title, item.category, item.tags.join(', ')].filter(
    (s) => s !== undefined && s !== '',
  );
  return `${head.join('. ')}. ${item.description}`.trim();
}

/**
 * A 53-bit non-cryptographic hash (cyrb53) as hex: identifies an embedded text so that an
 * unchanged item reuses its vector. Not a security boundary.
 */
export function textHash(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const value = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return `${text.length.toString(36)}-${value.toString(16).padStart(14, '0')}`;
}
