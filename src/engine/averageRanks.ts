/**
 * Average ranks (1-based; tied values share the mean of their ranks) of a column of float32
 * values, the core of AUROC and of its permutation test.
 *
 * Sorting token indices with a comparator is slow in JavaScript, so each value and its index are
 * packed into one integer that a native numeric sort orders correctly: a 32-bit key that sorts
 * like the float32 value (sign flipped for positives, all bits flipped for negatives) times 2^21,
 * plus the index. The product stays below 2^53, so it is exact in a float64; longer columns (over
 * 2^21 tokens) fall back to sorting the values and binary-searching each one's range.
 */
const INDEX_BITS = 2 ** 21;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A uint32 that orders like the float32 value; −0 and +0 share a key, as they are equal. */
function sortableKey(v: number): number {
  f32[0] = v === 0 ? 0 : v;
  const bits = u32[0]!;
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/**
 * Writes the average ranks of `column` (float32 values, NaN-free) into `ranks`; `scratch` is any
 * Float64Array at least as long, reused between calls to spare allocations.
 */
export function averageRanksInto(column: ArrayLike<number>, scratch: Float64Array, ranks: Float64Array): void {
  const n = column.length;
  if (n > INDEX_BITS) return averageRanksBySearch(column, scratch, ranks);
  const packed = scratch.subarray(0, n);
  for (let t = 0; t < n; t++) packed[t] = sortableKey(column[t]!) * INDEX_BITS + t;
  packed.sort();
  let i = 0;
  while (i < n) {
    const key = Math.floor(packed[i]! / INDEX_BITS);
    let j = i + 1;
    while (j < n && Math.floor(packed[j]! / INDEX_BITS) === key) j++;
    // Positions i..j-1 (0-based) hold ranks i+1..j: their mean.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[packed[k]! % INDEX_BITS] = rank;
    i = j;
  }
}

function averageRanksBySearch(column: ArrayLike<number>, scratch: Float64Array, ranks: Float64Array): void {
  const n = column.length;
  const sorted = scratch.subarray(0, n);
  for (let t = 0; t < n; t++) sorted[t] = column[t]!;
  sorted.sort();
  for (let t = 0; t < n; t++) {
    const v = column[t]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    // Upper bound too (not a scan): a saturated or dead neuron ties on thousands of tokens.
    let end = lo;
    hi = n;
    while (end < hi) {
      const mid = (end + hi) >>> 1;
      if (sorted[mid]! <= v) end = mid + 1;
      else hi = mid;
    }
    ranks[t] = (lo + 1 + end) / 2;
  }
}
