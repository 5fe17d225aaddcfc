/**
 * The relevance statistics a user can choose, by id, with their labels and neutral scores. Kept
 * apart from the math (src/engine/relevance.ts, which documents each statistic) because the
 * extension validates the panels' choice against it and must not load engine code.
 */
export type RelevanceStatistic = 'cohen-d' | 'auroc' | 'reference';

export const RELEVANCE_STATISTICS: Record<RelevanceStatistic, { label: string; neutral: number }> = {
  'cohen-d': { label: "Cohen's d (standardized mean difference)", neutral: 0 },
  auroc: { label: 'AUROC (probability a feature token outranks another)', neutral: 0.5 },
  reference: { label: 'Visualization-of-RNNs relevance (prominence + difference, max = 1)', neutral: 0 },
};

export function isRelevanceStatistic(id: string): id is RelevanceStatistic {
  return Object.hasOwn(RELEVANCE_STATISTICS, id);
}

/**
 * Null models of the permutation test (src/engine/significance.ts): `shuffle` draws the feature
 * positions at random (assumes exchangeable tokens), `circular-shift` rotates the feature mask
 * (keeps the activations' autocorrelation).
 */
export type NullModel = 'shuffle' | 'circular-shift';
export const NULL_MODELS: readonly NullModel[] = ['shuffle', 'circular-shift'];

/** Permutations per p-value when significance is asked for without a count. */
export const DEFAULT_PERMUTATIONS = 1000;
/** False discovery rate below which a hypothesis is marked significant. */
export const DEFAULT_FDR = 0.05;
