import * as tf from '@tensorflow/tfjs-core';
import { featureMask, parseFeature } from '../shared/featureOfInterest';
import { pearson } from './correlation';
import { NeuronLensError } from './errors';
import { kMeans } from './kMeans';
import { nmf } from './nmf';

export type ClusterMethod = 'kmeans' | 'nmf';
export const CLUSTER_METHODS: readonly ClusterMethod[] = ['kmeans', 'nmf'];

export interface ClusterOptions {
  k: number;
  method: ClusterMethod;
  seed: number;
  /** Features of interest to correlate each cluster's factor with (`" "`, `/[.!?]/`). */
  features?: readonly string[];
  /** How many top tokens name a cluster (default 5). */
  topTokens?: number;
  /** A token text must occur this often to name a cluster (default 3, or 1 on short texts). */
  minCount?: number;
  /** NMF updates (default 200). */
  iterations?: number;
}

export interface NeuronCluster {
  neurons: number[];
  /**
   * The cluster's value at each token, to colour the editor by: k-means, the mean of its
   * neurons' z-scored traces; NMF, the factor's activation (non-negative, scaled to RMS 1).
   */
  factor: Float32Array;
  /** Token texts where the factor is highest on average, best first. */
  topTokens: { text: string; mean: number; count: number }[];
  /** Pearson correlation of the factor with each feature's 0/1 token mask, highest first. */
  features: { feature: string; correlation: number }[];
  /** Top tokens and best positively correlated feature, for menus and legends. */
  label: string;
}

export interface NeuronClustering {
  method: ClusterMethod;
  k: number;
  seed: number;
  /** Cluster of each neuron. */
  assignments: Int32Array;
  clusters: NeuronCluster[];
  /** k-means: sum of squared distances (on unit-norm z-scored profiles, i.e. Σ 2(1 − r)). */
  inertia?: number;
  /** NMF: reconstruction error every 10 updates and after the last, and the number of updates. */
  errors?: number[];
  updates?: number;
}

/**
 * Groups neurons that behave alike over a recording (tokens × units, row-major).
 *
 * k-means: each neuron's profile is its trace z-scored and scaled to unit length, so the squared
 * distance between two profiles is 2(1 − r), r their Pearson correlation: k-means then groups
 * neurons by correlation distance, ignoring their scale and offset. Seeded k-means++ with restarts.
 *
 * NMF: activations are signed, NMF needs non-negative data, so each neuron is split into its
 * positive part max(x, 0) and negative part max(−x, 0) (LSTMVis's signed-to-unsigned) and the
 * 2·units × tokens matrix is factorised into k non-negative parts; a neuron joins the factor
 * that weighs either of its halves most. A neuron that is only ever negative thus still clusters
 * with the tokens where it is strongly negative.
 */
export function clusterNeurons(
  values: Float32Array,
  units: number,
  tokenTexts: readonly string[],
  options: ClusterOptions,
): NeuronClustering {
  const tokens = tokenTexts.length;
  if (values.length !== tokens * units) {
    throw new NeuronLensError(`The recording has ${values.length} values, not ${tokens} tokens × ${units} neurons`);
  }
  if (tokens < 2) throw new NeuronLensError('Clustering neurons needs a text of at least 2 tokens');
  const { k, method, seed } = options;
  if (!Number.isInteger(k) || k < 1 || k > units)
    throw new NeuronLensError(`k must be an integer from 1 to ${units} (the number of neurons), not ${k}`);
  const features = (options.features ?? []).map((spec) => ({ spec, mask: featureMask(parseFeature(spec), tokenTexts).mask }));

  let assignments: Int32Array;
  let factors: Float32Array[];
  const extra: Pick<NeuronClustering, 'inertia' | 'errors' | 'updates'> = {};
  if (method === 'kmeans') {
    const profiles = tf.tidy(() => {
      const x = tf.transpose(tf.tensor2d(values, [tokens, units]));
      const { mean, variance } = tf.moments(x, 1, true);
      // A constant neuron gets an all-zero profile rather than a division by zero.
      const sd = tf.where(tf.greater(variance, 0), tf.sqrt(tf.mul(variance, tokens)), tf.onesLike(variance));
      return tf.div(tf.sub(x, mean), sd) as tf.Tensor2D;
    });
    try {
      const result = kMeans(profiles, k, { seed });
      assignments = result.assignments;
      extra.inertia = result.inertia;
      // Centroids live in unit-length space; × √tokens puts them back on the z-score scale.
      factors = Array.from({ length: k }, (_, c) => result.centroids.slice(c * tokens, (c + 1) * tokens).map((x) => x * Math.sqrt(tokens)));
    } finally {
      profiles.dispose();
    }
  } else {
    const halves = tf.tidy(() => {
      const x = tf.transpose(tf.tensor2d(values, [tokens, units]));
      return tf.concat([tf.relu(x), tf.relu(tf.neg(x))], 0) as tf.Tensor2D;
    });
    try {
      const result = nmf(halves, k, { seed, iterations: options.iterations });
      extra.errors = result.errors;
      extra.updates = result.updates;
      // WH is unchanged when a factor's row of H is scaled by s and its column of W by 1/s, so
      // weights are only comparable across factors once each factor has one scale: RMS 1 over tokens.
      const rms = Array.from({ length: k }, (_, c) => {
        let sum = 0;
        for (let t = 0; t < tokens; t++) sum += result.h[c * tokens + t]! ** 2;
        return Math.sqrt(sum / tokens) || 1;
      });
      assignments = new Int32Array(units);
      for (let n = 0; n < units; n++) {
        let best = 0;
        let weight = -1;
        for (let c = 0; c < k; c++) {
          const wn = rms[c]! * Math.max(result.w[n * k + c]!, result.w[(units + n) * k + c]!);
          if (wn > weight) [best, weight] = [c, wn];
        }
        assignments[n] = best;
      }
      factors = Array.from({ length: k }, (_, c) => result.h.slice(c * tokens, (c + 1) * tokens).map((x) => x / rms[c]!));
    } finally {
      halves.dispose();
    }
  }

  const minCount = options.minCount ?? (tokens >= 100 ? 3 : 1);
  const clusters = factors.map((factor, c) => {
    const neurons = [...assignments.keys()].filter((n) => assignments[n] === c);
    const topTokens = topTokenTexts(factor, tokenTexts, options.topTokens ?? 5, minCount);
    const correlations = features
      .map((f) => ({ feature: f.spec, correlation: pearson(factor, f.mask) }))
      .sort((a, b) => b.correlation - a.correlation || (a.feature < b.feature ? -1 : 1));
    return { neurons, factor, topTokens, features: correlations, label: label(topTokens, correlations) };
  });
  return { method, k, seed, assignments, clusters, ...extra };
}

/** Token texts ranked by the mean factor over their occurrences (ties by text). */
export function topTokenTexts(factor: ArrayLike<number>, tokenTexts: readonly string[], count: number, minCount: number) {
  const sums = new Map<string, { sum: number; count: number }>();
  tokenTexts.forEach((text, t) => {
    const s = sums.get(text) ?? { sum: 0, count: 0 };
    s.sum += factor[t]!;
    s.count++;
    sums.set(text, s);
  });
  return [...sums]
    .filter(([, s]) => s.count >= minCount)
    .map(([text, s]) => ({ text, mean: s.sum / s.count, count: s.count }))
    .sort((a, b) => b.mean - a.mean || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, count);
}

function label(topTokens: { text: string }[], features: { feature: string; correlation: number }[]): string {
  const words = topTokens.slice(0, 3).map((t) => JSON.stringify(t.text));
  const f = features[0];
  return f && f.correlation > 0 ? `${words.join(' ')} · ${JSON.stringify(f.feature)} (r ${f.correlation.toFixed(2)})` : words.join(' ');
}
