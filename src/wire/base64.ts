/** Fast standard-base64 decoding without Buffer (works in browsers and workers). */

const LOOKUP = new Uint8Array(256);
for (let i = 0; i < 64; i++) {
  LOOKUP['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
}

/** Decodes a padded base64 string into bytes. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      ((LOOKUP[text.charCodeAt(i)] ?? 0) << 18) |
      ((LOOKUP[text.charCodeAt(i + 1)] ?? 0) << 12) |
      ((LOOKUP[text.charCodeAt(i + 2)] ?? 0) << 6) |
      (LOOKUP[text.charCodeAt(i + 3)] ?? 0);
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
