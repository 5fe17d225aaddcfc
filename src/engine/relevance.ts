import type { RelevanceStatistic } from '../shared/relevanceStatistics';
import { averageRanksInto } from './averageRanks';

/**
 * Relevance of each neuron to a feature of interest (a set of token positions): the standardized
 * mean difference (Cohen's d) between the neuron's values on feature tokens and on all other
 * tokens, with the pooled standard deviation. It is scale-free (a gate and a cell state compare
 * fairly) and signed (negative: the neuron drops on the feature). Undefined cases (no feature
 * token, no other token, or a neuron that never varies) give 0. A neuron that is constant on each
 * side but differs between them separates them perfectly: it gets ±PERFECT_SEPARATION, the cap
 * of every score (no real neuron comes near it; it keeps the scores finite for JSON and colours).
 */
export const PERFECT_SEPARATION = 100;

export function standardizedMeanDifference(values: Float32Array, units: number, isFeature: ArrayLike<boolean | number>): Float64Array {
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
    const diff = mF - mG;
    d[i] =
      pooled > 1e-12
        ? Math.max(-PERFECT_SEPARATION, Math.min(PERFECT_SEPARATION, diff / pooled))
        : Math.abs(diff) > 1e-9
          ? Math.sign(diff) * PERFECT_SEPARATION
          : 0;
  }
  return d;
}

/** Indices of the k largest |scores|, largest first (ties by lower index). */
export function topByMagnitude(scores: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => Math.abs(scores[b]!) - Math.abs(scores[a]!) || a - b)
    .slice(0, k);
}

/**
 * Area under the ROC curve of each neuron as a detector of the feature: the probability that a
 * random feature token has a higher value than a random other token (ties count half). Rank-based,
 * so robust to outliers and to any monotone rescaling; 0.5 means no relation, 1 (or 0) a perfect
 * detector that rises (or drops) on the feature. 0.5 when either set is empty.
 */
export function auroc(values: Float32Array, units: number, isFeature: ArrayLike<boolean | number>): Float64Array {
  return aurocForFeatures(values, units, [isFeature])[0]!;
}

/**
 * AUROC of every neuron for several features at once: each neuron's tokens are ranked once
 * (ties share their average rank) and every feature only sums its tokens' ranks (Mann–Whitney U).
 * Ranks come from averageRanksInto (one native numeric sort per neuron).
 */
export function aurocForFeatures(
  values: Float32Array,
  units: number,
  features: readonly ArrayLike<boolean | number>[],
  /** columnRanks(values, units), when the caller has them already. */
  precomputedRanks?: Float32Array,
): Float64Array[] {
  const tokens = values.length / units;
  const counts = features.map((f) => {
    let n = 0;
    for (let t = 0; t < tokens; t++) if (f[t]) n++;
    return n;
  });
  const out = features.map(() => new Float64Array(units).fill(0.5));
  const live = features.map((_, j) => j).filter((j) => counts[j]! > 0 && counts[j]! < tokens);
  if (live.length === 0) return out;
  const column = new Float64Array(tokens);
  const sorted = new Float64Array(tokens);
  const ranks = new Float64Array(tokens);
  for (let i = 0; i < units; i++) {
    if (precomputedRanks) {
      for (let t = 0; t < tokens; t++) ranks[t] = precomputedRanks[t * units + i]!;
    } else {
      for (let t = 0; t < tokens; t++) column[t] = values[t * units + i]!;
      averageRanksInto(column, sorted, ranks);
    }
    for (const j of live) {
      const f = features[j]!;
      const nF = counts[j]!;
      let rankSum = 0;
      for (let t = 0; t < tokens; t++) if (f[t]) rankSum += ranks[t]!;
      out[j]![i] = (rankSum - (nF * (nF + 1)) / 2) / (nF * (tokens - nF));
    }
  }
  return out;
}

/**
 * Every neuron's average ranks over the tokens, laid out like `values` ([tokens, units]). Ranks
 * up to 2^23 and their halves are exact in float32.
 */
export function columnRanks(values: Float32Array, units: number): Float32Array {
  const tokens = units > 0 ? values.length / units : 0;
  const out = new Float32Array(values.length);
  const column = new Float64Array(tokens);
  const sorted = new Float64Array(tokens);
  const ranks = new Float64Array(tokens);
  for (let i = 0; i < units; i++) {
    for (let t = 0; t < tokens; t++) column[t] = values[t * units + i]!;
    averageRanksInto(column, sorted, ranks);
    for (let t = 0; t < tokens; t++) out[t * units + i] = ranks[t]!;
  }
  return out;
}

/**
 * The Visualization-of-RNNs relevance (see docs and seed notes), with its two bugs fixed: both
 * terms use the same neuron (the reference added neuron N−1−i's level difference to neuron i's
 * prominence), and an empty complement gives difference 0 instead of NaN.
 *   prominence_i = mean_{t∈F} |2a(t) − a(t−1) − a(t+1)|   (edges reflected: t−1 → 1 at 0, t+1 → T−2 at T−1)
 *   difference_i = |mean_{t∈F} a(t) − mean_{t∉F} a(t)|
 *   relevance_i  = (prominence_i + difference_i) / max_j (prominence_j + difference_j)
 * Not scale-free (a cell state outscores a gate), hence an option rather than the default.
 */
export function referenceRelevance(values: Float32Array, units: number, isFeature: ArrayLike<boolean | number>): Float64Array {
  const T = values.length / units;
  const score = new Float64Array(units);
  let nF = 0;
  for (let t = 0; t < T; t++) if (isFeature[t]) nF++;
  if (nF === 0 || T < 2) return score;
  const nG = T - nF;
  const before = (t: number) => (t === 0 ? 1 : t - 1);
  const after = (t: number) => (t === T - 1 ? T - 2 : t + 1);
  const prominence = new Float64Array(units);
  const sumF = new Float64Array(units);
  const sumG = new Float64Array(units);
  for (let t = 0; t < T; t++) {
    const row = t * units;
    if (isFeature[t]) {
      const b = before(t) * units;
      const a = after(t) * units;
      for (let i = 0; i < units; i++) {
        prominence[i]! += Math.abs(2 * values[row + i]! - values[b + i]! - values[a + i]!);
        sumF[i]! += values[row + i]!;
      }
    } else {
      for (let i = 0; i < units; i++) sumG[i]! += values[row + i]!;
    }
  }
  let best = 0;
  for (let i = 0; i < units; i++) {
    const difference = nG > 0 ? Math.abs(sumF[i]! / nF - sumG[i]! / nG) : 0;
    score[i] = prominence[i]! / nF + difference;
    best = Math.max(best, score[i]!);
  }
  if (best > 0) for (let i = 0; i < units; i++) score[i]! /= best;
  return score;
}

/** Relevance of every neuron to a feature; the strength of a score is its distance from `neutral`. */
export function relevance(
  values: Float32Array,
  units: number,
  isFeature: ArrayLike<boolean | number>,
  statistic: RelevanceStatistic,
): Float64Array {
  switch (statistic) {
    case 'cohen-d':
      return standardizedMeanDifference(values, units, isFeature);
    case 'auroc':
      return auroc(values, units, isFeature);
    case 'reference':
      return referenceRelevance(values, units, isFeature);
  }
}
