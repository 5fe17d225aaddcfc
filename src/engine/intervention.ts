import * as tf from '@tensorflow/tfjs-core';
import type { FeatureOfInterest } from '../shared/featureOfInterest';
import { classifierArchitecture, encodeForClassifier } from './classifier/classifierBatch';
import { notCausalError } from './bidirectional';
import { NeuronLensError, throwIfAborted } from './errors';
import { createStreamingRunner } from './inference/createRunner';
import type { StateHook, StreamingRunner } from './inference/streamingRunner';
import type { LanguageModel } from './languageModel';
import { NATS_PER_BIT } from './loss';
import type { ModelTokenizer } from './modelTokenizer';
import { Random } from './random';
import { sampleLogits } from './sampling';

/**
 * Interventions: ablate (zero, or replace by the unit's mean) or clamp chosen units of a layer's
 * recurrent state at every token or only at feature tokens, and measure what changes downstream.
 * They are run-time hooks (a StateHook on the streaming runner): the edited state feeds the layer
 * above, the next token's step and the logits, and no weight is touched, so a saved model stays as
 * it was and a run without the intervention is exactly the original model.
 */

export type InterventionMode = 'zero' | 'mean' | 'clamp';
export const INTERVENTION_MODES: readonly InterventionMode[] = ['zero', 'mean', 'clamp'];

export interface Intervention {
  layer: number;
  /**
   * A state component: 'h' (every cell) or 'c' (LSTM cell state). Gates are not state: the cell
   * recomputes them from x and h at every step, so overwriting a recorded gate value changes
   * nothing downstream; clamping a gate would need a hook inside the cell's step, between
   * computing the gate and using it.
   */
  component: 'h' | 'c';
  units: readonly number[];
  mode: InterventionMode;
  /** 'clamp': the value the units are held at. */
  value?: number;
  /** 'mean': each unit's replacement, in the order of `units` (see unitMeans). */
  means?: ArrayLike<number>;
  /**
   * Every token; the tokens a feature of interest matches (the state right after consuming one);
   * or the token positions set in a mask (positions past its end are left alone).
   */
  where: 'all' | { feature: FeatureOfInterest } | { mask: ArrayLike<boolean | number> };
}

/** The mean of each of `units` over a recorded component ([tokens, layerUnits]): the 'mean' ablation's values. */
export function unitMeans(values: Float32Array, layerUnits: number, units: readonly number[]): Float64Array {
  const tokens = values.length / layerUnits;
  if (tokens < 1) throw new NeuronLensError('A mean ablation needs a recording of at least one token');
  const means = new Float64Array(units.length);
  for (let t = 0; t < tokens; t++) units.forEach((u, j) => (means[j]! += values[t * layerUnits + u]!));
  return means.map((m) => m / tokens);
}

interface CompiledIntervention {
  layer: number;
  stateIndex: number;
  units: Int32Array;
  values: Float32Array;
  applies: (position: number) => boolean;
}

/** Checks interventions against the model; a wrong layer, component or unit is a NeuronLensError naming it. */
export function checkInterventions(model: LanguageModel, interventions: readonly Intervention[]): void {
  // A state edit at token t would have to reach the backward direction's tokens before t, which
  // it already read; there is no single "after" to compare, so interventions stay causal-only.
  if (!model.causal) throw notCausalError('Intervening on the recurrent state');
  interventions.forEach((iv, k) => {
    const what = `Intervention ${k + 1}`;
    const layers = model.cells.length;
    if (!Number.isInteger(iv.layer) || iv.layer < 0 || iv.layer >= layers) {
      throw new NeuronLensError(`${what}: layer ${iv.layer} does not exist (the model has ${layers}: 0–${layers - 1})`);
    }
    const cell = model.cells[iv.layer]!;
    const states = cell.stateSize === 2 ? ['h', 'c'] : ['h'];
    if (!states.includes(iv.component)) {
      throw new NeuronLensError(
        `${what}: a ${cell.config.kind.toUpperCase()} layer's state is ${states.join(' and ')}, not "${iv.component}" (gates are recomputed every step and cannot be held)`,
      );
    }
    if (iv.units.length === 0) throw new NeuronLensError(`${what}: name at least one unit`);
    for (const u of iv.units) {
      if (!Number.isInteger(u) || u < 0 || u >= cell.config.units) {
        throw new NeuronLensError(
          `${what}: unit ${u} does not exist (layer ${iv.layer} has ${cell.config.units}: 0–${cell.config.units - 1})`,
        );
      }
    }
    if (!INTERVENTION_MODES.includes(iv.mode)) throw new NeuronLensError(`${what}: mode must be one of ${INTERVENTION_MODES.join(', ')}`);
    if (iv.mode === 'clamp' && !Number.isFinite(iv.value)) throw new NeuronLensError(`${what}: clamping needs a finite value`);
    if (iv.mode === 'mean' && (!iv.means || iv.means.length !== iv.units.length || !Array.from(iv.means).every(Number.isFinite))) {
      throw new NeuronLensError(`${what}: a mean ablation needs one finite mean per unit (${iv.units.length})`);
    }
  });
}

/**
 * The StateHook that applies `interventions`. `tokenAt(position)` gives the text of the token at
 * a position, for feature-token interventions.
 */
export function interventionHook(
  model: LanguageModel,
  interventions: readonly Intervention[],
  tokenAt: (position: number) => string | undefined,
): StateHook {
  checkInterventions(model, interventions);
  const compiled: CompiledIntervention[] = interventions.map((iv) => {
    const where = iv.where;
    const applies =
      where === 'all'
        ? () => true
        : 'feature' in where
          ? (p: number) => {
              const text = tokenAt(p);
              return text !== undefined && where.feature.matches(text);
            }
          : (p: number) => p < where.mask.length && Boolean(where.mask[p]);
    const value = (j: number) => (iv.mode === 'zero' ? 0 : iv.mode === 'clamp' ? iv.value! : iv.means![j]!);
    return {
      layer: iv.layer,
      stateIndex: iv.component === 'c' ? 1 : 0,
      units: Int32Array.from(iv.units),
      values: Float32Array.from(iv.units, (_, j) => value(j)),
      applies,
    };
  });
  return (layer, position, state) => {
    for (const c of compiled) {
      if (c.layer !== layer || !c.applies(position)) continue;
      const v = state[c.stateIndex]!;
      for (let j = 0; j < c.units.length; j++) v[c.units[j]!] = c.values[j]!;
    }
  };
}

function requireLanguageModel(model: LanguageModel): void {
  const task = (model.architecture as { task?: string }).task;
  if (task !== undefined && task !== 'language-model') {
    throw new NeuronLensError('Intervention effects on loss, next tokens and generation need a language model, not a classifier');
  }
}

/** The top layer's h after every token of `ids`, [tokens, units], from a zero state. */
function topHidden(
  runner: StreamingRunner,
  ids: Int32Array,
  hook: StateHook | undefined,
  state = runner.zeroState(),
  offset = 0,
): Float32Array {
  const top = runner.layerUnits.length - 1;
  const out = new Float32Array(ids.length * runner.layerUnits[top]!);
  runner.run(ids, state, [{ layer: top, component: 'h', out }], 0, hook && ((layer, position, s) => hook(layer, position + offset, s)));
  return out;
}

/** Rows per logits batch: bounds the [rows, vocab] tensors of a word model. */
const LOGIT_ROWS = 512;

/** Log-probabilities (nats) of each next token: row t of `hidden` predicts ids[t + 1]. */
function nextTokenLogProbs(model: LanguageModel, hidden: Float32Array, ids: Int32Array): Float64Array {
  const units = hidden.length / ids.length;
  const predicted = ids.length - 1;
  const out = new Float64Array(Math.max(0, predicted));
  for (let start = 0; start < predicted; start += LOGIT_ROWS) {
    const rows = Math.min(LOGIT_ROWS, predicted - start);
    const picked = tf.tidy(() => {
      const h = tf.tensor2d(hidden.subarray(start * units, (start + rows) * units), [rows, units]);
      const logProbs = tf.logSoftmax(tf.add(tf.matMul(h, model.weight('output/kernel')), model.weight('output/bias')));
      const labels = tf.tensor1d(ids.subarray(start + 1, start + 1 + rows), 'int32');
      return tf.sum(tf.mul(logProbs, tf.oneHot(labels, logProbs.shape[1]!)), 1);
    });
    out.set(picked.dataSync(), start);
    picked.dispose();
  }
  return out;
}

/** Logits after the last row of `hidden` (one row of `units`). */
function lastLogits(model: LanguageModel, hidden: Float32Array, units: number): Float32Array {
  const logits = tf.tidy(() =>
    tf.add(
      tf.matMul(tf.tensor2d(hidden.subarray(hidden.length - units), [1, units]), model.weight('output/kernel')),
      model.weight('output/bias'),
    ),
  );
  const values = (logits.dataSync() as Float32Array).slice();
  logits.dispose();
  return values;
}

function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const p = Float64Array.from(logits as ArrayLike<number>, (x) => Math.exp(x - max));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / sum);
}

export interface LossEffect {
  /** Tokens whose prediction is scored (all but the first). */
  predicted: number;
  /** Mean bits per predicted token without and with the intervention. */
  baselineBits: number;
  intervenedBits: number;
  /** Bits per character of the predicted tokens (the same as per token for a char model). */
  baselineBitsPerChar: number;
  intervenedBitsPerChar: number;
  /** Per predicted token t (predicting token t + 1): loss in bits without and with. */
  baselineLoss: Float64Array;
  intervenedLoss: Float64Array;
  /** Predicted tokens whose loss moved by more than 1e-9 bits. */
  changed: number;
  /** The largest changes, largest |Δ| first: `position` is the predicted token's index. */
  largest: { position: number; token: string; baselineBits: number; intervenedBits: number }[];
}

/** Loss of the model on `text` with and without the interventions. */
export function lossEffect(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  interventions: readonly Intervention[],
  options: { top?: number; signal?: AbortSignal } = {},
): LossEffect {
  const { model, tokenizer } = loaded;
  requireLanguageModel(model);
  const { tokens, ids } = tokenizer.encode(text);
  if (ids.length < 2) throw new NeuronLensError('The text needs at least two tokens to measure a loss');
  const hook = interventionHook(model, interventions, (p) => tokens[p]?.text);
  const runner = createStreamingRunner(model);
  try {
    throwIfAborted(options.signal, 'Intervention');
    const baseline = nextTokenLogProbs(model, topHidden(runner, ids, undefined), ids);
    throwIfAborted(options.signal, 'Intervention');
    const intervened = nextTokenLogProbs(model, topHidden(runner, ids, hook), ids);
    const baselineLoss = baseline.map((x) => -x / NATS_PER_BIT);
    const intervenedLoss = intervened.map((x) => -x / NATS_PER_BIT);
    const total = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
    let chars = 0;
    for (let t = 1; t < tokens.length; t++) chars += tokens[t]!.text.length;
    const order = Array.from(baselineLoss, (_, t) => t).sort(
      (a, b) => Math.abs(intervenedLoss[b]! - baselineLoss[b]!) - Math.abs(intervenedLoss[a]! - baselineLoss[a]!) || a - b,
    );
    return {
      predicted: baselineLoss.length,
      baselineBits: total(baselineLoss) / baselineLoss.length,
      intervenedBits: total(intervenedLoss) / intervenedLoss.length,
      baselineBitsPerChar: total(baselineLoss) / Math.max(1, chars),
      intervenedBitsPerChar: total(intervenedLoss) / Math.max(1, chars),
      baselineLoss,
      intervenedLoss,
      changed: baselineLoss.filter((x, t) => Math.abs(intervenedLoss[t]! - x) > 1e-9).length,
      largest: order
        .filter((t) => intervenedLoss[t] !== baselineLoss[t])
        .slice(0, options.top ?? 10)
        .map((t) => ({ position: t + 1, token: tokens[t + 1]!.text, baselineBits: baselineLoss[t]!, intervenedBits: intervenedLoss[t]! })),
    };
  } finally {
    runner.dispose();
  }
}

export interface NextTokenEffect {
  /** Index of the last context token; the distribution is over the token after it. */
  position: number;
  /** The context's last characters, for display. */
  context: string;
  before: { token: string; probability: number }[];
  after: { token: string; probability: number }[];
  /** KL(before ‖ after) in bits over the whole vocabulary. */
  klBits: number;
}

/**
 * The next-token distribution after the tokens that end at or before character `offset` of
 * `text` (default: the whole text), top `k` tokens without and with the interventions.
 */
export function nextTokenEffect(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  interventions: readonly Intervention[],
  options: { offset?: number; k?: number } = {},
): NextTokenEffect {
  const { model, tokenizer } = loaded;
  requireLanguageModel(model);
  const offset = options.offset ?? text.length;
  if (!Number.isInteger(offset) || offset < 0 || offset > text.length) {
    throw new NeuronLensError(`The position must be a character offset from 0 to ${text.length}, not ${offset}`);
  }
  const encoded = tokenizer.encode(text);
  let count = 0;
  while (count < encoded.tokens.length && encoded.tokens[count]!.end <= offset) count++;
  if (count === 0) throw new NeuronLensError(`No whole token ends at or before character ${offset}: the model needs some context`);
  const ids = encoded.ids.subarray(0, count);
  const hook = interventionHook(model, interventions, (p) => encoded.tokens[p]?.text);
  const units = model.layerUnits(model.cells.length - 1);
  const runner = createStreamingRunner(model);
  try {
    const before = softmax(lastLogits(model, topHidden(runner, ids, undefined), units));
    const after = softmax(lastLogits(model, topHidden(runner, ids, hook), units));
    const k = options.k ?? 5;
    const top = (p: Float64Array) =>
      Array.from(p, (probability, id) => ({ id, probability }))
        .sort((a, b) => b.probability - a.probability || a.id - b.id)
        .slice(0, k)
        .map(({ id, probability }) => ({ token: tokenizer.vocabulary.token(id), probability }));
    let kl = 0;
    for (let i = 0; i < before.length; i++) if (before[i]! > 0) kl += before[i]! * Math.log2(before[i]! / Math.max(after[i]!, 1e-300));
    const end = encoded.tokens[count - 1]!.end;
    return { position: count - 1, context: text.slice(Math.max(0, end - 40), end), before: top(before), after: top(after), klBits: kl };
  } finally {
    runner.dispose();
  }
}

export interface GenerationEffect {
  prime: string;
  /** Sampled text (prime excluded) without and with the interventions, from the same seed. */
  baseline: string;
  intervened: string;
  /** Index of the first sampled token that differs, or -1. */
  firstDifference: number;
}

/**
 * Samples `length` tokens twice from the same seed, without and with the interventions (which
 * also act on the prime). Feature-token interventions test each token as it is sampled.
 */
export function generationEffect(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  interventions: readonly Intervention[],
  options: { prime?: string; length?: number; temperature?: number; seed?: number; signal?: AbortSignal } = {},
): GenerationEffect {
  const { model, tokenizer } = loaded;
  requireLanguageModel(model);
  const length = options.length ?? 200;
  const temperature = options.temperature ?? 1;
  if (!Number.isInteger(length) || length < 1 || length > 100_000) throw new NeuronLensError('Length must be an integer from 1 to 100000');
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new NeuronLensError('Temperature must be a number ≥ 0');
  const vocab = tokenizer.vocabulary;
  const prime = options.prime ?? '';
  const primed = prime.length > 0 ? tokenizer.encode(prime) : undefined;
  // Without a prime, start as if after a line break (or the most frequent token), as generate does.
  const startIds = primed ? primed.ids : Int32Array.of(vocab.id(vocab.has('\n') ? '\n' : vocab.token(1)));
  const units = model.layerUnits(model.cells.length - 1);
  const sample = (withHook: boolean): { text: string; ids: number[] } => {
    const texts: string[] = Array.from(startIds, (id) => vocab.token(id));
    const hook = withHook ? interventionHook(model, interventions, (p) => texts[p]) : undefined;
    const rng = new Random(options.seed ?? 1);
    const runner = createStreamingRunner(model);
    try {
      const state = runner.zeroState();
      let hidden = topHidden(runner, startIds, hook, state, 0);
      let position = startIds.length;
      const ids: number[] = [];
      let text = '';
      for (let i = 0; i < length; i++) {
        throwIfAborted(options.signal, 'Generation');
        const id = sampleLogits(lastLogits(model, hidden, units), temperature, rng, 0);
        ids.push(id);
        texts.push(vocab.token(id));
        text += vocab.token(id);
        hidden = topHidden(runner, Int32Array.of(id), hook, state, position++);
      }
      return { text, ids };
    } finally {
      runner.dispose();
    }
  };
  const baseline = sample(false);
  const intervened = sample(true);
  return {
    prime,
    baseline: baseline.text,
    intervened: intervened.text,
    firstDifference: baseline.ids.findIndex((id, i) => intervened.ids[i] !== id),
  };
}

export interface ClassEffect {
  classes: string[];
  /** Tokens the classifier read (its first maxTokens). */
  tokens: number;
  /** Class probabilities without and with the interventions, in the order of `classes`. */
  before: number[];
  after: number[];
}

/**
 * A classifier's class probabilities for `text` without and with the interventions. The head is
 * linear, so pooling the top layer's h (its last token, or the mean over tokens) and applying the
 * head equals pooling the per-token logits, as classProbabilities does.
 */
export function classEffect(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  interventions: readonly Intervention[],
): ClassEffect {
  const { model, tokenizer } = loaded;
  const arch = classifierArchitecture(model);
  const ids = encodeForClassifier(tokenizer, text, arch.maxTokens);
  if (ids.length === 0) throw new NeuronLensError('The text has no tokens to classify');
  const texts = tokenizer
    .tokenize(text)
    .slice(0, ids.length)
    .map((t) => t.text);
  const hook = interventionHook(model, interventions, (p) => texts[p]);
  const units = model.layerUnits(model.cells.length - 1);
  const kernel = model.weight('output/kernel').dataSync() as Float32Array;
  const bias = model.weight('output/bias').dataSync() as Float32Array;
  const classes = bias.length;
  const probabilities = (hidden: Float32Array): number[] => {
    const pooled = new Float64Array(units);
    const first = arch.pooling === 'last' ? ids.length - 1 : 0;
    for (let t = first; t < ids.length; t++) for (let i = 0; i < units; i++) pooled[i]! += hidden[t * units + i]!;
    const logits = Array.from(bias, (b, c) => {
      let z = 0;
      for (let i = 0; i < units; i++) z += pooled[i]! * kernel[i * classes + c]!;
      return b + z / (ids.length - first);
    });
    return Array.from(softmax(logits));
  };
  const runner = createStreamingRunner(model);
  try {
    return {
      classes: [...arch.classes],
      tokens: ids.length,
      before: probabilities(topHidden(runner, ids, undefined)),
      after: probabilities(topHidden(runner, ids, hook)),
    };
  } finally {
    runner.dispose();
  }
}
