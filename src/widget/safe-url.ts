/** URL hygiene for catalog links and images: only same-origin paths and http(s) are used. */

/** Returns the URL if it is relative or http(s), resolved against `base`; otherwise undefined. */
export function safeUrl(value: string | undefined, base: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
