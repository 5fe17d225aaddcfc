/**
 * Where two traces over the same tokens differ most in shape: each is z-scored first (a constant
 * trace scores 0 throughout), so two neurons on different scales or offsets are compared by their
 * ups and downs, not their units.
 */
export interface Disagreement {
  token: number;
  a: number;
  b: number;
  /** z-score of a minus z-score of b. */
  difference: number;
}

export function zScores(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  const sd = Math.sqrt(variance / n) || 1;
  return Float64Array.from({ length: n }, (_, i) => (x[i]! - mean) / sd);
}

/** The `count` tokens with the largest |difference| of z-scores, largest first (ties by position). */
export function largestDisagreements(a: ArrayLike<number>, b: ArrayLike<number>, count: number): Disagreement[] {
  const za = zScores(a);
  const zb = zScores(b);
  return Array.from({ length: a.length }, (_, t) => ({ token: t, a: a[t]!, b: b[t]!, difference: za[t]! - zb[t]! }))
    .sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference) || x.token - y.token)
    .slice(0, count);
}
