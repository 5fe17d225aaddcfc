import { featureMask, parseFeature } from '../shared/featureOfInterest';
import { DEFAULT_FDR, type NullModel, RELEVANCE_STATISTICS, type RelevanceStatistic } from '../shared/relevanceStatistics';
import { aurocForFeatures, columnRanks, relevance } from './relevance';
import { checkFdr, checkPermutationCount, permutationPValuesForFeatures, significanceOf } from './significance';

export interface FeatureRelevance {
  feature: string;
  /** Tokens that match the feature. */
  matches: number;
  /** One score per neuron. */
  scores: Float64Array;
  /** Hypotheses: the neurons whose score is farthest from neutral, strongest first. */
  top: { neuron: number; score: number }[];
  /** With a permutation test: per neuron, its p-value, its Benjamini–Hochberg q-value across neurons, and q ≤ fdr. */
  pValues?: Float64Array;
  qValues?: Float64Array;
  significant?: Uint8Array;
}

export interface SignificanceRequest {
  /** Draws per p-value; 0 skips the test. */
  permutations: number;
  seed?: number;
  nullModel?: NullModel;
  /** False discovery rate (default 0.05). */
  fdr?: number;
  signal?: AbortSignal;
}

/** How the p-values of a table were computed, for captions and reports. */
export interface SignificanceSettings {
  permutations: number;
  seed: number;
  nullModel: NullModel;
  fdr: number;
}

export interface RelevanceTable {
  statistic: RelevanceStatistic;
  /** The score of a neuron unrelated to a feature (0, or 0.5 for AUROC). */
  neutral: number;
  features: FeatureRelevance[];
  /** Present when the table carries p-values. */
  significance?: SignificanceSettings;
}

/** The features × neurons relevance table with top-k hypotheses per feature. */
export function featureRelevance(
  values: Float32Array,
  units: number,
  tokenTexts: readonly string[],
  features: readonly string[],
  statistic: RelevanceStatistic,
  topK: number,
  test?: SignificanceRequest,
): RelevanceTable {
  const { neutral } = RELEVANCE_STATISTICS[statistic];
  const masks = features.map((spec) => featureMask(parseFeature(spec), tokenTexts));
  const settings: SignificanceSettings | undefined =
    test && checkPermutationCount(test.permutations) > 0
      ? {
          permutations: test.permutations,
          seed: test.seed ?? 1,
          nullModel: test.nullModel ?? 'shuffle',
          fdr: checkFdr(test.fdr ?? DEFAULT_FDR),
        }
      : undefined;
  // AUROC ranks each neuron's tokens once, for all features and for the permutation test.
  const ranks = settings && statistic === 'auroc' ? columnRanks(values, units) : undefined;
  // Each feature is its own family of hypotheses (one per neuron): q-values correct across neurons.
  const pValues = settings
    ? permutationPValuesForFeatures(
        values,
        units,
        masks.map((m) => m.mask),
        statistic,
        { ...settings, signal: test?.signal, ranks },
      )
    : undefined;
  const aurocs =
    statistic === 'auroc'
      ? aurocForFeatures(
          values,
          units,
          masks.map((m) => m.mask),
          ranks,
        )
      : undefined;
  return {
    statistic,
    neutral,
    ...(settings && { significance: settings }),
    features: features.map((spec, j) => {
      const { mask, count } = masks[j]!;
      const scores = aurocs ? aurocs[j]! : relevance(values, units, mask, statistic);
      const top =
        count === 0 || count === tokenTexts.length
          ? []
          : Array.from(scores, (score, neuron) => ({ neuron, score }))
              .sort((a, b) => Math.abs(b.score - neutral) - Math.abs(a.score - neutral) || a.neuron - b.neuron)
              .slice(0, topK);
      const tested = pValues && significanceOf(pValues[j]!, settings!.fdr);
      return { feature: spec, matches: count, scores, top, ...tested };
    }),
  };
}
