/** Pure geometry for the privacy panel's "ε spent over time" chart. */
import type { LedgerRow } from '../worker/engine-worker.api.ts';

/** One step of the cumulative ε curve. */
export interface EpsilonPoint {
  readonly at: number;
  readonly epsilon: number;
}

/** Cumulative ε after each release, in time order; requests with ε = 0 still add a step. */
export function cumulativeEpsilon(rows: readonly LedgerRow[]): EpsilonPoint[] {
  const sorted = [...rows].sort((a, b) => a.at - b.at);
  let total = 0;
  return sorted.map((row) => {
    total += row.epsilon;
    return { at: row.at, epsilon: total };
  });
}

/**
 * An SVG path (`M x y L …`, step shape) of the curve scaled into width × height, with the
 * y axis running up to `cap` (the lifetime cap) so the chart shows how much budget is left.
 */
export function epsilonPath(
  points: readonly EpsilonPoint[],
  width: number,
  height: number,
  cap: number,
): string {
  if (points.length === 0) return `M 0 ${height} L ${width} ${height}`;
  const first = points[0]?.at ?? 0;
  const last = points[points.length - 1]?.at ?? first;
  const span = Math.max(1, last - first);
  const top = Math.max(cap, points[points.length - 1]?.epsilon ?? 0, 1e-9);
  const x = (at: number) => ((at - first) / span) * width;
  const y = (eps: number) => height - (eps / top) * height;
  const parts = [`M 0 ${height}`];
  let previous = 0;
  for (const point of points) {
    const px = x(point.at).toFixed(1);
    parts.push(`L ${px} ${y(previous).toFixed(1)}`, `L ${px} ${y(point.epsilon).toFixed(1)}`);
    previous = point.epsilon;
  }
  parts.push(`L ${width} ${y(previous).toFixed(1)}`);
  return parts.join(' ');
}

/**
 * The top of the chart's y axis: twice the ε spent so far (at least 1), never above the lifetime
 * cap. Scaled to the cap itself, a typical spend (0.25 of 64) would be a line under one pixel
 * high; the label beside the chart states the scale and the caps.
 */
export function epsilonScale(points: readonly EpsilonPoint[], cap: number): number {
  const spent = points[points.length - 1]?.epsilon ?? 0;
  return Math.min(Math.max(cap, 1e-9), Math.max(1, 2 * spent));
}
