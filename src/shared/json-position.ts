/**
 * Where JSON.parse failed: V8 names the offset in some messages ("… at position 12") and leaves
 * it out of others ("Unexpected token 'x', "…" is not valid JSON", "Unexpected end of JSON
 * input"), so error messages that must say where fall back to bisecting on prefixes.
 */

/** The offset JSON.parse names in `message` ("… at position 12"), or null. */
function reportedOffset(message: string): number | null {
  const position = /position (\d+)/.exec(message);
  return position?.[1] === undefined ? null : Number(position[1]);
}

/**
 * True when `prefix` could still begin a valid JSON text: it parses, or the parser ran out of
 * input before finding anything wrong. Once false it stays false for every longer prefix.
 */
function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    const offset = reportedOffset(message);
    return /unexpected end/i.test(message) || (offset !== null && offset >= prefix.length);
  }
}

/**
 * The offset (UTF-16 code units) of the first character JSON.parse rejects in `text`, or the
 * text's length when it is cut short. `error` is what JSON.parse threw; bisection (log₂ n parses
 * of prefixes) runs only when its message does not name the offset.
 */
export function jsonErrorOffset(text: string, error: unknown): number {
  const reported = reportedOffset(error instanceof Error ? error.message : String(error));
  if (reported !== null) return reported;
  if (viablePrefix(text)) return text.length;
  let lo = 0;
  let hi = text.length;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (viablePrefix(text.slice(0, mid))) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}

/** 1-based line and column of `offset` in `text` (lines end at '\n'). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
