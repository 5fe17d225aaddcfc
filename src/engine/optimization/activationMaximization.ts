import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../errors';
import type { LanguageModel } from '../languageModel';
import { Random } from '../random';
import { inputWeightGradients, supportsInputGradients } from '../training/inputGradients';
import type { Vocabulary } from '../vocabulary';
import {
  withSearchDefaults,
  type RelaxationSearchOptions,
  allowedTokens,
  argmaxRows,
  relaxedDistribution,
  rowEntropy,
  temperatureAt,
} from './inputRelaxation';
import { scoreSequences } from './sequenceScoring';
import type { Target } from './targets';
import { singleTokenTrials, topRows } from './coordinatePolish';

export interface MaximizeOptions extends RelaxationSearchOptions {
  /**
   * Differentiate `model.run` on the tape even where the hand-written pass handles the target
   * (the reference that pass is tested against).
   */
  autodiff?: boolean;
}

export interface MaximizedSequence {
  start: number;
  ids: number[];
  tokens: string[];
  text: string;
  /** The target the discrete sequence really reaches (model run on token ids, zero state). */
  activation: number;
  /** The relaxed objective at the last step (target minus entropy penalty), for the same start. */
  relaxedObjective: number;
  /** The target's quantity after each token of the decoded sequence. */
  trace: number[];
  /** The step whose decoding this is. */
  step: number;
  /** The argmax decoding before the polish pass, and its real activation. */
  decodedText: string;
  decodedActivation: number;
}

export interface MaximizeResult {
  target: string;
  length: number;
  steps: number;
  /** One per start, in start order. */
  sequences: MaximizedSequence[];
  /** Index into `sequences` of the highest real activation. */
  best: number;
  elapsedMs: number;
  stepsPerSecond: number;
}

/**
 * Activation maximisation for text: gradient ascent with Adam on a softmax relaxation of the
 * input (see inputRelaxation.ts for why this relaxation), from several seeded random starts at
 * once, with the temperature annealed from soft to nearly one-hot; then every start is decoded
 * (argmax per position) and re-scored with the real model, because only the discrete sequence is
 * something a user can read or feed back.
 */
export async function maximizeActivation(
  model: LanguageModel,
  vocabulary: Vocabulary,
  target: Target,
  options: MaximizeOptions,
): Promise<MaximizeResult> {
  const o = withSearchDefaults(options);
  const { length, starts, steps } = o;
  const decodeEvery = o.decodeEvery ?? Math.max(1, Math.floor(steps / 10));
  const vocab = model.vocabSize;
  const rows = starts * length;
  const { bias } = allowedTokens(vocab, o.excludeTokens);

  const rng = new Random(o.seed);
  const init = Float32Array.from({ length: rows * vocab }, () => o.initScale * rng.normal());
  const initial = tf.tensor2d(init, [rows, vocab]);
  const theta = tf.variable(initial, true);
  initial.dispose();
  const biasT = tf.tensor1d(bias);
  const optimizer = tf.train.adam(o.learningRate);
  const ids = new Int32Array(rows);
  const best: (MaximizedSequence | undefined)[] = Array.from({ length: starts });
  let relaxed = new Float32Array(starts);

  const decodeAndScore = (step: number) => {
    const biased = tf.tidy(() => tf.add(theta, biasT));
    const sequences = splitRows(argmaxRows(biased.dataSync(), rows, vocab), starts, length);
    biased.dispose();
    const scores = scoreSequences(model, target, sequences);
    sequences.forEach((seq, s) => {
      const activation = scores.values[s]!;
      if (best[s] && best[s].activation >= activation) return;
      const tokens = Array.from(seq, (id) => vocabulary.token(id));
      const text = tokens.join('');
      best[s] = {
        start: s,
        ids: Array.from(seq),
        tokens,
        text,
        activation,
        relaxedObjective: NaN,
        trace: Array.from(scores.traces[s]!),
        step,
        decodedText: text,
        decodedActivation: activation,
      };
    });
  };

  const spec = target.spec;
  const handWritten = !o.autodiff && supportsInputGradients(model, spec) ? spec : undefined;
  const began = performance.now();
  try {
    for (let step = 0; step < steps; step++) {
      throwIfAborted(o.signal, 'Activation maximisation');
      const tau = temperatureAt(step, steps, o.temperature);
      const last = step === steps - 1;
      let perStart: tf.Tensor1D | undefined;
      // The objective's gradient w.r.t. the distribution, by hand where supported: then the tape
      // only holds the surrogate Σ p ⊙ (d objective / d p), whose θ-gradient is the same.
      let byHand: ReturnType<typeof inputWeightGradients> | undefined;
      if (handWritten) {
        const p = relaxedDistribution(theta, tau, biasT);
        byHand = inputWeightGradients(model, handWritten, p, starts, length);
        p.dispose();
      }
      const cost = optimizer.minimize(
        () => {
          const p = relaxedDistribution(theta, tau, biasT);
          let objective: tf.Tensor1D;
          let surrogate: tf.Tensor | undefined;
          if (byHand) {
            objective = tf.tensor1d(byHand.values);
            surrogate = tf.sum(tf.mul(p, byHand.dWeights));
          } else {
            const r = model.run(ids, starts, length, model.zeroState(starts), {
              inputWeights: p,
              collect: (l, c) => target.collect(l, c),
              skipLogits: !target.needsLogits,
            });
            objective = target.value(r, starts, length);
          }
          if (o.entropyWeight > 0) {
            const entropy = tf.mul(tf.mean(tf.reshape(rowEntropy(p), [starts, length]), 1), o.entropyWeight);
            objective = tf.sub(objective, entropy);
            if (surrogate) surrogate = tf.sub(surrogate, tf.sum(entropy));
          }
          if (last) perStart = tf.keep(objective);
          return tf.neg(surrogate ?? tf.sum(objective)) as tf.Scalar;
        },
        false,
        [theta],
      );
      byHand?.dWeights.dispose();
      cost?.dispose();
      if (perStart) {
        relaxed = Float32Array.from(perStart.dataSync());
        perStart.dispose();
      }
      o.onProgress?.(step + 1, steps);
      if (last || (decodeEvery > 0 && (step + 1) % decodeEvery === 0)) decodeAndScore(step + 1);
      // Let a cancel request (or a progress message) through between steps.
      if ((step + 1) % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const polish = Math.min(options.polish ?? 16, vocab);
    if (polish > 0) {
      const biased = tf.tidy(() => tf.add(theta, biasT));
      const candidates = topRows(biased.dataSync(), rows, vocab, polish);
      biased.dispose();
      polishInPlace(model, target, vocabulary, best as MaximizedSequence[], candidates, length);
    }
  } finally {
    theta.dispose();
    biasT.dispose();
    optimizer.dispose();
  }
  const elapsedMs = performance.now() - began;
  const sequences = best.map((b, s) => ({ ...b!, relaxedObjective: relaxed[s]! }));
  let top = 0;
  sequences.forEach((s, i) => {
    if (s.activation > sequences[top]!.activation) top = i;
  });
  return { target: target.label, length, steps, sequences, best: top, elapsedMs, stepsPerSecond: (steps * 1000) / elapsedMs };
}

/**
 * One pass of coordinate ascent: for each position in turn, every start tries its candidate
 * tokens there (all starts and candidates in one batch) and keeps the best if it beats the current
 * real activation.
 */
function polishInPlace(
  model: LanguageModel,
  target: Target,
  vocabulary: Vocabulary,
  sequences: MaximizedSequence[],
  candidates: Int32Array[],
  length: number,
): void {
  for (let t = 0; t < length; t++) {
    const { trials, owner } = singleTokenTrials(sequences, candidates, length, t);
    if (trials.length === 0) continue;
    const scores = scoreSequences(model, target, trials);
    trials.forEach((trial, k) => {
      const seq = sequences[owner[k]!]!;
      if (scores.values[k]! <= seq.activation) return;
      const tokens = Array.from(trial, (id) => vocabulary.token(id));
      Object.assign(seq, {
        ids: Array.from(trial),
        tokens,
        text: tokens.join(''),
        activation: scores.values[k]!,
        trace: Array.from(scores.traces[k]!),
      });
    });
  }
}

function splitRows(flat: Int32Array, count: number, length: number): Int32Array[] {
  return Array.from({ length: count }, (_, s) => flat.slice(s * length, (s + 1) * length));
}
