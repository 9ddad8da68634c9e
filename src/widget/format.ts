/** Small formatting helpers shared by the widget and the demo's privacy panel. */

/** Formats a byte count for humans: 0 B, 812 B, 14.2 KB, 3.1 MB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats a price with its ISO currency, or an empty string when either is missing. */
export function formatPrice(price: number | undefined, currency: string | undefined): string {
  if (price === undefined || currency === undefined) return '';
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(price);
  } catch {
    return `${price.toFixed(2)} ${currency}`;
  }
}

/** Parses the `limit` attribute: a whole number in [1, 50], else `fallback`. */
export function parseLimit(value: string | null, fallback = 6): number {
  if (value === null) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 50 ? n : fallback;
}

/** Parses the `layout` attribute; anything unknown is `grid`. */
export function parseLayout(value: string | null): 'grid' | 'list' | 'carousel' {
  return value === 'list' || value === 'carousel' ? value : 'grid';
}

/** Fraction [0, 1] of a progress value; 0 when the total is unknown. */
export function progressFraction(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(1, Math.max(0, done / total));
}
