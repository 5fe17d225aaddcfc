import { featureMask, parseFeature } from '../shared/featureOfInterest';
import { RELEVANCE_STATISTICS, type RelevanceStatistic } from '../shared/relevanceStatistics';
import { aurocForFeatures, relevance } from './relevance';

export interface FeatureRelevance {
  feature: string;
  /** Tokens that match the feature. */
  matches: number;
  /** One score per neuron. */
  scores: Float64Array;
  /** Hypotheses: the neurons whose score is farthest from neutral, strongest first. */
  top: { neuron: number; score: number }[];
}

export interface RelevanceTable {
  statistic: RelevanceStatistic;
  /** The score of a neuron unrelated to a feature (0, or 0.5 for AUROC). */
  neutral: number;
  features: FeatureRelevance[];
}

/** The features × neurons relevance table with top-k hypotheses per feature. */
export function featureRelevance(
  values: Float32Array,
  units: number,
  tokenTexts: readonly string[],
  features: readonly string[],
  statistic: RelevanceStatistic,
  topK: number,
): RelevanceTable {
  const { neutral } = RELEVANCE_STATISTICS[statistic];
  const masks = features.map((spec) => featureMask(parseFeature(spec), tokenTexts));
  // AUROC ranks each neuron's tokens once for all features.
  const aurocs =
    statistic === 'auroc'
      ? aurocForFeatures(
          values,
          units,
          masks.map((m) => m.mask),
        )
      : undefined;
  return {
    statistic,
    neutral,
    features: features.map((spec, j) => {
      const { mask, count } = masks[j]!;
      const scores = aurocs ? aurocs[j]! : relevance(values, units, mask, statistic);
      const top =
        count === 0 || count === tokenTexts.length
          ? []
          : Array.from(scores, (score, neuron) => ({ neuron, score }))
              .sort((a, b) => Math.abs(b.score - neutral) - Math.abs(a.score - neutral) || a.neuron - b.neuron)
              .slice(0, topK);
      return { feature: spec, matches: count, scores, top };
    }),
  };
}
