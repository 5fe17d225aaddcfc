import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError, throwIfAborted } from '../errors';
import type { LanguageModel } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';
import { Random } from '../random';
import { resolveComponent, resolveLayer } from '../recorder';
import { singleTokenTrials, topRows } from './coordinatePolish';
import {
  withSearchDefaults,
  type RelaxationSearchOptions,
  allowedTokens,
  argmaxRows,
  relaxedDistribution,
  rowEntropy,
  temperatureAt,
} from './inputRelaxation';

/** The relaxation search, with the objective ‖h(x) − h*‖² (+ the entropy term) minimised. */
export interface InversionOptions extends RelaxationSearchOptions {
  /** Layer whose state is matched (default: the last). */
  layer?: number;
  /** Component of that layer (default h, the hidden state). */
  component?: string;
}

export interface InvertedSequence {
  start: number;
  ids: number[];
  tokens: string[];
  text: string;
  /** ‖h(x) − h*‖₂ of the discrete sequence, run by the real model from a zero state. */
  distance: number;
  /** cos(h(x), h*) of the same (0 when either vector is zero). */
  cosine: number;
  /** ‖h(p) − h*‖₂ of the relaxed input at the last step, for the gap to the decoded one. */
  relaxedDistance: number;
  /** The step whose decoding this is. */
  step: number;
}

export interface InversionResult {
  layer: number;
  component: string;
  /** Tokens of the text whose state is the target, and that state's norm. */
  targetTokens: number;
  targetNorm: number;
  /** The target text itself re-scored like a recovered sequence: distance 0, cosine 1 (a self-check). */
  reference: { distance: number; cosine: number };
  length: number;
  steps: number;
  /** One per start, in start order. */
  sequences: InvertedSequence[];
  /** Index into `sequences` of the smallest distance. */
  best: number;
  elapsedMs: number;
}

type Loaded = { model: LanguageModel; tokenizer: ModelTokenizer };

/**
 * Feature inversion for text (Mahendran & Vedaldi, as in cs231n, with tokens instead of pixels):
 * find a token sequence whose state at its last token matches the state a real text leaves. The
 * input is the same softmax-over-vocabulary relaxation as activation maximisation (see
 * inputRelaxation.ts for why), optimised with Adam on ‖h(x) − h*‖² from several seeded starts with
 * the temperature annealed; every start is then decoded and re-scored with the real model, because
 * only a discrete sequence is an answer.
 */
export async function invertFeatures(loaded: Loaded, text: string, options: InversionOptions): Promise<InversionResult> {
  const { model, tokenizer } = loaded;
  const o = withSearchDefaults(options);
  const { length, starts, steps } = o;
  const layer = resolveLayer(model, o.layer ?? model.cells.length - 1);
  const component = resolveComponent(model, layer, o.component ?? 'h');
  if (text.trim().length === 0) throw new NeuronLensError('The text is empty: there is no state to invert');
  let targetIds = tokenizer.encode(text).ids;
  // A classifier reads only its first maxTokens tokens, so that is the state its decisions see.
  if (model.architecture.task === 'classifier') targetIds = targetIds.slice(0, model.architecture.maxTokens);
  const state = new StateReader(model, layer, component);
  const targetState = state.lastStates([targetIds])[0]!;
  const targetNorm = Math.hypot(...targetState);
  const self = compare(targetState, targetState);

  const vocab = model.vocabSize;
  const rows = starts * length;
  const { bias } = allowedTokens(vocab, o.excludeTokens);
  const decodeEvery = o.decodeEvery ?? Math.max(1, Math.floor(steps / 10));
  const rng = new Random(o.seed);
  const initial = tf.tensor2d(
    Float32Array.from({ length: rows * vocab }, () => o.initScale * rng.normal()),
    [rows, vocab],
  );
  const theta = tf.variable(initial, true);
  initial.dispose();
  const biasT = tf.tensor1d(bias);
  const targetT = tf.tensor2d(targetState, [1, targetState.length]);
  const optimizer = tf.train.adam(o.learningRate);
  const best: (InvertedSequence | undefined)[] = Array.from({ length: starts });
  let relaxed = new Float32Array(starts);

  const decodeAndScore = (step: number) => {
    const biased = tf.tidy(() => tf.add(theta, biasT));
    const decoded = argmaxRows(biased.dataSync(), rows, vocab);
    biased.dispose();
    const sequences = Array.from({ length: starts }, (_, s) => decoded.slice(s * length, (s + 1) * length));
    const states = state.lastStates(sequences);
    sequences.forEach((seq, s) => {
      const { distance, cosine } = compare(states[s]!, targetState);
      if (best[s] && best[s].distance <= distance) return;
      const tokens = Array.from(seq, (id) => tokenizer.vocabulary.token(id));
      best[s] = { start: s, ids: Array.from(seq), tokens, text: tokens.join(''), distance, cosine, relaxedDistance: NaN, step };
    });
  };

  const began = performance.now();
  try {
    for (let step = 0; step < steps; step++) {
      throwIfAborted(o.signal, 'Feature inversion');
      const tau = temperatureAt(step, steps, o.temperature);
      const last = step === steps - 1;
      let perStart: tf.Tensor1D | undefined;
      const cost = optimizer.minimize(
        () => {
          const p = relaxedDistribution(theta, tau, biasT);
          const squared = tf.sum(tf.square(tf.sub(state.relaxedLastState(p, starts, length), targetT)), 1) as tf.Tensor1D;
          if (last) perStart = tf.keep(tf.sqrt(squared));
          let loss = squared;
          if (o.entropyWeight > 0) loss = tf.add(loss, tf.mul(tf.mean(tf.reshape(rowEntropy(p), [starts, length]), 1), o.entropyWeight));
          return tf.sum(loss) as tf.Scalar;
        },
        false,
        [theta],
      );
      cost?.dispose();
      if (perStart) {
        relaxed = Float32Array.from(perStart.dataSync());
        perStart.dispose();
      }
      o.onProgress?.(step + 1, steps);
      if (last || (step + 1) % decodeEvery === 0) decodeAndScore(step + 1);
      if ((step + 1) % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const polish = Math.min(options.polish ?? 8, vocab);
    if (polish > 0) {
      const biased = tf.tidy(() => tf.add(theta, biasT));
      const candidates = topRows(biased.dataSync(), rows, vocab, polish);
      biased.dispose();
      polishInPlace(state, targetState, tokenizer, best as InvertedSequence[], candidates, length);
    }
  } finally {
    tf.dispose([theta, biasT, targetT]);
    optimizer.dispose();
  }
  const sequences = best.map((b, s) => ({ ...b!, relaxedDistance: relaxed[s]! }));
  let top = 0;
  sequences.forEach((s, i) => {
    if (s.distance < sequences[top]!.distance) top = i;
  });
  return {
    layer,
    component,
    targetTokens: targetIds.length,
    targetNorm,
    reference: self,
    length,
    steps,
    sequences,
    best: top,
    elapsedMs: performance.now() - began,
  };
}

/** L2 distance and cosine similarity of a state to the target. */
export function compare(h: ArrayLike<number>, target: ArrayLike<number>): { distance: number; cosine: number } {
  let sq = 0;
  let dot = 0;
  let nh = 0;
  let nt = 0;
  for (let i = 0; i < target.length; i++) {
    const a = h[i]!;
    const b = target[i]!;
    sq += (a - b) * (a - b);
    dot += a * b;
    nh += a * a;
    nt += b * b;
  }
  const norms = Math.sqrt(nh) * Math.sqrt(nt);
  return { distance: Math.sqrt(sq), cosine: norms > 0 ? dot / norms : 0 };
}

/** One layer component's value after the last token of sequences, real (ids) or relaxed (weights). */
class StateReader {
  constructor(
    private readonly model: LanguageModel,
    private readonly layer: number,
    private readonly component: string,
  ) {}

  /** Per sequence (all of one length), the state after its last token; zero initial state. */
  lastStates(sequences: readonly Int32Array[]): Float32Array[] {
    const length = sequences[0]!.length;
    const batch = sequences.length;
    const ids = new Int32Array(batch * length);
    sequences.forEach((s, b) => ids.set(s, b * length));
    const values = tf.tidy(() => {
      const r = this.model.run(ids, batch, length, this.model.zeroState(batch), {
        collect: (l, c) => l === this.layer && c === this.component,
        skipLogits: true,
      });
      return tf.squeeze(tf.slice(r.internals[this.layer]![this.component]!, [0, length - 1, 0], [batch, 1, -1]), [1]);
    });
    const flat = values.dataSync() as Float32Array;
    const units = values.shape[1]!;
    values.dispose();
    return sequences.map((_, b) => flat.slice(b * units, (b + 1) * units));
  }

  /** [starts, units]: the state after position length − 1 of relaxed inputs (rows s·length + t). */
  relaxedLastState(p: tf.Tensor2D, starts: number, length: number): tf.Tensor2D {
    // tfjs cannot differentiate unstacking a time axis of length 1, so a one-token input gets a
    // trailing zero row; a causal model's state at position length − 1 is unchanged, and a
    // bidirectional layer's backward cell is told each input's length, so it skips the row.
    const steps = Math.max(2, length);
    const rows = steps > length ? padRows(p, starts, length, steps) : p;
    const r = this.model.run(new Int32Array(starts * steps), starts, steps, this.model.zeroState(starts), {
      inputWeights: rows,
      lengths: new Array<number>(starts).fill(length),
      collect: (l, c) => l === this.layer && c === this.component,
      skipLogits: true,
    });
    return tf.reshape(tf.slice(r.internals[this.layer]![this.component]!, [0, length - 1, 0], [starts, 1, -1]), [
      starts,
      -1,
    ]) as tf.Tensor2D;
  }
}

function padRows(p: tf.Tensor2D, starts: number, length: number, steps: number): tf.Tensor2D {
  const width = p.shape[1];
  const padded = tf.concat([tf.reshape(p, [starts, length, width]), tf.zeros([starts, steps - length, width])], 1);
  return tf.reshape(padded, [starts * steps, width]) as tf.Tensor2D;
}

/**
 * One pass of coordinate descent on the real model: position by position, every start tries its
 * candidate tokens (all in one batch) and keeps the closest if it beats its current distance.
 */
function polishInPlace(
  state: StateReader,
  target: Float32Array,
  tokenizer: ModelTokenizer,
  sequences: InvertedSequence[],
  candidates: Int32Array[],
  length: number,
): void {
  for (let t = 0; t < length; t++) {
    const { trials, owner } = singleTokenTrials(sequences, candidates, length, t);
    if (trials.length === 0) continue;
    const states = state.lastStates(trials);
    trials.forEach((trial, k) => {
      const seq = sequences[owner[k]!]!;
      const { distance, cosine } = compare(states[k]!, target);
      if (distance >= seq.distance) return;
      const tokens = Array.from(trial, (id) => tokenizer.vocabulary.token(id));
      Object.assign(seq, { ids: Array.from(trial), tokens, text: tokens.join(''), distance, cosine });
    });
  }
}
