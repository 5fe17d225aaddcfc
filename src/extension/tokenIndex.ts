/**
 * Lookups in a token list given as sorted, non-overlapping [start, end) UTF-16 offsets (the
 * engine's AnalyzeResult), by binary search: hovers and scrolling ask these once per event, and
 * documents have up to hundreds of thousands of tokens.
 */

/** Index of the first of the `count` tokens that ends after `offset` (count if none). */
export function firstTokenEndingAfter(ends: ArrayLike<number>, count: number, offset: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Index of the token that contains `offset`, or -1 when it falls after the tokens or in a gap. */
export function tokenAt(starts: ArrayLike<number>, ends: ArrayLike<number>, count: number, offset: number): number {
  const i = firstTokenEndingAfter(ends, count, offset);
  return i < count && starts[i]! <= offset ? i : -1;
}

/** Tokens [from, to) that overlap the offsets [startOffset, endOffset). */
export function tokensOverlapping(
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
  count: number,
  startOffset: number,
  endOffset: number,
): { from: number; to: number } {
  const from = firstTokenEndingAfter(ends, count, startOffset);
  let lo = from;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! < endOffset) lo = mid + 1;
    else hi = mid;
  }
  return { from, to: Math.max(from, lo) };
}
