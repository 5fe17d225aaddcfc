import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';

/**
 * The continuous stand-in for a token sequence that activation maximisation optimises: per
 * position, a softmax over the vocabulary, p_t = softmax(θ_t / τ), fed to the model as the
 * weights of its input rows (RunOptions.inputWeights).
 *
 * Why this and not embedding vectors projected back to the nearest word (what D7047E did): a free
 * embedding vector can reach regions no word occupies, so the optimum it finds is "not a word"
 * and its nearest word may score nothing like it; the gap between the relaxed and the real
 * activation is then unbounded and unreported. A softmax row is always a convex mixture of real
 * tokens' inputs, and lowering τ over the run (annealing) drives each row towards one token, so
 * the relaxed optimum and its argmax decoding converge. It also works unchanged for one-hot char
 * models, which have no embedding space to project in.
 */
export interface TemperatureSchedule {
  /** τ at the first step (soft mixtures, smooth landscape). */
  start: number;
  /** τ at the last step (nearly one-hot rows). */
  end: number;
}

export const DEFAULT_TEMPERATURE: TemperatureSchedule = { start: 1, end: 0.05 };

/** What every search over the relaxation (maximisation, inversion) is configured by. */
export interface RelaxationSearchOptions {
  /** Tokens per sequence. */
  length: number;
  /** Independent random starts, optimised together as one batch. */
  starts?: number;
  steps?: number;
  /** Adam step size on the relaxation's logits θ. */
  learningRate?: number;
  temperature?: TemperatureSchedule;
  /** λ of the mean entropy per position in the objective: pushes rows to commit to one token early. */
  entropyWeight?: number;
  /** Standard deviation of the initial θ. */
  initScale?: number;
  seed?: number;
  /** Token ids never used (default: id 0, `<unk>`, which decodes to no real text). */
  excludeTokens?: readonly number[];
  /**
   * Decode and re-score every this many steps, keeping each start's best real sequence (0: only
   * at the end). Annealing is not monotone in the real score, so an earlier decoding can win.
   */
  decodeEvery?: number;
  /**
   * After decoding, one pass of coordinate search on the real model: at each position, the
   * `polish` tokens the relaxation weighted most there are tried in place and the best kept (0:
   * off). Cheap (starts × length × polish short sequences, batched) and it closes most of the gap
   * left by rounding a mixture to its argmax.
   */
  polish?: number;
  signal?: AbortSignal;
  onProgress?: (step: number, steps: number) => void;
}

export function checkPositiveInt(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 1) throw new NeuronLensError(`The ${name} must be a positive integer, not ${x}`);
}

/**
 * The options with their defaults filled in and checked. `??` rather than a spread, so an option
 * passed as undefined keeps its default.
 */
export function withSearchDefaults<O extends RelaxationSearchOptions>(options: O) {
  const o = {
    ...options,
    starts: options.starts ?? 8,
    steps: options.steps ?? 200,
    learningRate: options.learningRate ?? 0.1,
    temperature: options.temperature ?? DEFAULT_TEMPERATURE,
    entropyWeight: options.entropyWeight ?? 0,
    initScale: options.initScale ?? 1,
    seed: options.seed ?? 0,
    excludeTokens: options.excludeTokens ?? [0],
  };
  checkPositiveInt('length', o.length);
  checkPositiveInt('number of starts', o.starts);
  checkPositiveInt('number of steps', o.steps);
  if (!(o.learningRate > 0)) throw new NeuronLensError(`The learning rate must be positive, not ${o.learningRate}`);
  if (!(o.entropyWeight >= 0)) throw new NeuronLensError(`The entropy weight must be 0 or more, not ${o.entropyWeight}`);
  return o;
}

/** Geometric interpolation from start to end: equal ratios per step, so no phase dominates. */
export function temperatureAt(step: number, steps: number, schedule: TemperatureSchedule): number {
  if (!(schedule.start > 0) || !(schedule.end > 0)) {
    throw new NeuronLensError(`Temperatures must be positive (got ${schedule.start} → ${schedule.end})`);
  }
  if (steps <= 1) return schedule.end;
  const f = Math.min(1, Math.max(0, step / (steps - 1)));
  return schedule.start * Math.pow(schedule.end / schedule.start, f);
}

/** softmax((θ + bias) / τ) per row; `bias` (−∞-like for banned tokens) keeps them at zero weight. */
export function relaxedDistribution(logits: tf.Tensor2D, temperature: number, bias?: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(tf.div(bias ? tf.add(logits, bias) : logits, temperature)) as tf.Tensor2D);
}

/** Shannon entropy (nats) of each row of a distribution; 0 for a one-hot row. */
export function rowEntropy(p: tf.Tensor2D): tf.Tensor1D {
  // p·log p → 0 as p → 0; the floor only avoids log(0) = −∞ times 0 = NaN.
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-12))), 1)) as tf.Tensor1D);
}

/** Index of the largest value in each row of a row-major [rows, width] array. */
export function argmaxRows(values: ArrayLike<number>, rows: number, width: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (values[r * width + j]! > values[r * width + best]!) best = j;
    out[r] = best;
  }
  return out;
}

/** The token ids an optimiser may use, and the additive bias that bans the rest. */
export function allowedTokens(vocabSize: number, excluded: readonly number[]): { allowed: number[]; bias: Float32Array } {
  const banned = new Set(excluded.filter((id) => id >= 0 && id < vocabSize));
  const allowed = Array.from({ length: vocabSize }, (_, i) => i).filter((i) => !banned.has(i));
  if (allowed.length === 0) throw new NeuronLensError('Every token is excluded: nothing is left to optimise over');
  const bias = new Float32Array(vocabSize);
  for (const id of banned) bias[id] = -1e9;
  return { allowed, bias };
}
