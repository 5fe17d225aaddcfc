import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';
import type { LanguageModel } from '../languageModel';
import type { Target } from './targets';
import { inputSpace, targetGradients, tokenInputs } from './tokenInputs';

/**
 * The reference input attributions are measured from. `zero`: every input row zero (no token at
 * all: only the bias reaches the first layer). `uniform`: for one-hot inputs, the uniform
 * distribution over the vocabulary, i.e. "an average token", which keeps the first layer's input
 * on the simplex the model was trained on (the default for one-hot models); for embedding models
 * it is the mean embedding row. Embedding models default to `zero`, the usual IG baseline.
 */
export type IgBaseline = 'zero' | 'uniform';
export const IG_BASELINES: readonly IgBaseline[] = ['zero', 'uniform'];

export interface IntegratedGradientsOptions {
  /** Intervals of the path integral (steps + 1 gradient evaluations). */
  steps?: number;
  baseline?: IgBaseline;
  /** Path points evaluated per forward/backward pass (bounds memory for long texts). */
  chunk?: number;
  /** Differentiate on the tape even where the hand-written pass handles the target (a reference for tests). */
  autodiff?: boolean;
}

export interface IntegratedGradients {
  baseline: IgBaseline;
  steps: number;
  /** Per token: Σ_d (x − x')_d · ∫ ∂target/∂x_d along the straight path. */
  attributions: Float32Array;
  targetValue: number;
  baselineValue: number;
  /** Σ attributions − (target − baseline target): zero for the exact integral (completeness). */
  completenessGap: number;
}

export function defaultBaseline(model: LanguageModel): IgBaseline {
  return inputSpace(model) === 'one-hot' ? 'uniform' : 'zero';
}

/**
 * Integrated gradients (Sundararajan et al. 2017) over each token's input, with the trapezoid
 * rule on `steps` equal intervals: α_k = k/steps, weights 1/(2·steps) at the ends and 1/steps
 * inside, which is exact for paths whose gradient is linear in α and converges as O(1/steps²).
 * All path points of a chunk run as one batch.
 */
export function integratedGradients(
  model: LanguageModel,
  target: Target,
  ids: Int32Array,
  options: IntegratedGradientsOptions = {},
): IntegratedGradients {
  const m = options.steps ?? 32;
  const baseline = options.baseline ?? defaultBaseline(model);
  const chunk = Math.max(1, options.chunk ?? 8);
  if (!Number.isInteger(m) || m < 1) throw new NeuronLensError(`Integrated gradients needs a positive integer step count, not ${m}`);
  if (!IG_BASELINES.includes(baseline))
    throw new NeuronLensError(`Unknown baseline "${String(baseline)}" (choose ${IG_BASELINES.join(' or ')})`);
  if (ids.length === 0) throw new NeuronLensError('The text has no tokens: there is nothing to explain');
  const steps = ids.length;
  const x = tokenInputs(model, ids);
  const width = x.shape[1];
  const base = baselineInputs(model, x, baseline);
  const total = new Float32Array(steps * width);
  let targetValue = NaN;
  let baselineValue = NaN;
  try {
    for (let from = 0; from <= m; from += chunk) {
      const count = Math.min(chunk, m + 1 - from);
      const path = tf.tidy(() => {
        const alphas = tf.tensor3d(
          Array.from({ length: count }, (_, k) => (from + k) / m),
          [count, 1, 1],
        );
        // α·x + (1 − α)·x' rather than x' + α·(x − x'): exactly the text at α = 1, whose target is reported.
        const mixed = tf.add(tf.mul(alphas, x), tf.mul(tf.sub(1, alphas), base));
        return tf.reshape(mixed, [count * steps, width]) as tf.Tensor2D;
      });
      const { values, grad } = targetGradients(model, target, path, count, steps, options.autodiff);
      path.dispose();
      const g = grad.dataSync();
      grad.dispose();
      // The path's ends are the baseline (α = 0) and the text itself (α = 1).
      if (from === 0) baselineValue = values[0]!;
      if (from + count === m + 1) targetValue = values[count - 1]!;
      for (let k = 0; k < count; k++) {
        const index = from + k;
        const w = index === 0 || index === m ? 1 / (2 * m) : 1 / m;
        for (let i = 0; i < steps * width; i++) total[i]! += w * g[k * steps * width + i]!;
      }
    }
    const delta = tf.tidy(() => tf.sub(x, base).dataSync());
    const attributions = new Float32Array(steps);
    let sum = 0;
    for (let t = 0; t < steps; t++) {
      let a = 0;
      for (let j = 0; j < width; j++) a += delta[t * width + j]! * total[t * width + j]!;
      attributions[t] = a;
      sum += a;
    }
    return { baseline, steps: m, attributions, targetValue, baselineValue, completenessGap: sum - (targetValue - baselineValue) };
  } finally {
    tf.dispose([x, base]);
  }
}

function baselineInputs(model: LanguageModel, x: tf.Tensor2D, baseline: IgBaseline): tf.Tensor2D {
  return tf.tidy(() => {
    if (baseline === 'zero') return tf.zerosLike(x);
    if (inputSpace(model) === 'one-hot') return tf.fill(x.shape, 1 / x.shape[1]);
    return tf.tile(tf.mean(model.weight('embedding'), 0, true), [x.shape[0], 1]) as tf.Tensor2D;
  });
}
