/**
 * Relevance of each neuron to a feature of interest (a set of token positions): the standardized
 * mean difference (Cohen's d) between the neuron's values on feature tokens and on all other
 * tokens, with the pooled standard deviation. It is scale-free (a gate and a cell state compare
 * fairly) and signed (negative: the neuron drops on the feature). Undefined cases (no feature
 * token, no other token, or a neuron that never varies) give 0.
 */
export function standardizedMeanDifference(values: Float32Array, units: number, isFeature: ArrayLike<boolean>): Float64Array {
  const tokens = values.length / units;
  const d = new Float64Array(units);
  let nF = 0;
  for (let t = 0; t < tokens; t++) if (isFeature[t]) nF++;
  const nG = tokens - nF;
  if (nF === 0 || nG === 0) return d;
  const sum = [new Float64Array(units), new Float64Array(units)];
  const sq = [new Float64Array(units), new Float64Array(units)];
  for (let t = 0; t < tokens; t++) {
    const g = isFeature[t] ? 0 : 1;
    const s = sum[g]!;
    const q = sq[g]!;
    for (let i = 0; i < units; i++) {
      const v = values[t * units + i]!;
      s[i]! += v;
      q[i]! += v * v;
    }
  }
  for (let i = 0; i < units; i++) {
    const mF = sum[0]![i]! / nF;
    const mG = sum[1]![i]! / nG;
    const ssF = Math.max(0, sq[0]![i]! - nF * mF * mF);
    const ssG = Math.max(0, sq[1]![i]! - nG * mG * mG);
    const dof = nF + nG - 2;
    const pooled = dof > 0 ? Math.sqrt((ssF + ssG) / dof) : 0;
    d[i] = pooled > 1e-12 ? (mF - mG) / pooled : 0;
  }
  return d;
}

/** Indices of the k largest |scores|, largest first (ties by lower index). */
export function topByMagnitude(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => Math.abs(scores[b]!) - Math.abs(scores[a]!) || a - b)
    .slice(0, k);
}
