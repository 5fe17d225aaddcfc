import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../languageModel';
import { rowsToTimeMajor } from './matrixLayout';
import { type InternalSeed, type RecurrentLayerPass, SEEDABLE_COMPONENTS } from './recurrentLayerPass';
import { productOf } from './rowProduct';
import { layerPass } from './sequenceBackprop';

/** Which positions an objective reads: the last token only, or every token summed. */
export type ObjectivePosition = 'last' | 'every' | 'mean';

/** A neuron of one layer's internal, read after the last token or summed over every token. */
export interface NeuronObjective {
  kind: 'neuron';
  layer: number;
  component: string;
  neuron: number;
  position: ObjectivePosition;
}

/**
 * Output logit `token` (a next-token score, or a classifier's per-token class score): v·h_t + b
 * with v the output kernel's column, linear in the top layer's h.
 */
export interface LogitObjective {
  kind: 'logit';
  token: number;
  position: ObjectivePosition;
}

/** What the hand-written pass differentiates. A TargetSpec is one, so a target passes its spec. */
export type GradientObjective = NeuronObjective | LogitObjective;

/**
 * Layer 0's continuous input, as RunOptions takes it, rows b·steps + t: weights over the
 * vocabulary (one-hot rows reproduce the tokens), or for embedding models the embedding vectors.
 */
export type FirstLayerInput = { weights: tf.Tensor2D } | { embeddings: tf.Tensor2D };

export interface InputGradients {
  /** [batch]: the objective of each sequence. */
  values: Float32Array;
  /** [batch·steps, width] rows b·steps + t: d objective / d the input given (weights or embeddings). */
  dInput: tf.Tensor2D;
}

export interface InputWeightGradients {
  /** [batch]: the objective of each sequence. */
  values: Float32Array;
  /** [batch·steps, vocab], rows b·steps + t: d objective / d inputWeights. */
  dWeights: tf.Tensor2D;
}

/**
 * Whether `inputGradients` handles this objective; otherwise differentiate `model.run` on the tape.
 * Layers above the objective's never run, so only those up to it count (all of them for a logit).
 */
export function supportsInputGradients(model: LanguageModel, objective: GradientObjective): boolean {
  const { cell, layers } = model.architecture;
  const top = topLayer(model, objective);
  const component = objective.kind === 'neuron' ? objective.component : 'h';
  const below = layers.slice(0, top + 1);
  return (
    top >= 0 &&
    top < layers.length &&
    // The hand-written passes step forward only; a backward cell goes on the tape.
    below.every((l) => l.direction !== 'bidirectional') &&
    SEEDABLE_COMPONENTS[cell].includes(component) &&
    (cell !== 'gru' || below.every((l) => l.resetAfter))
  );
}

/**
 * The objective and its gradient with respect to layer 0's input, for `batch` sequences of `steps`
 * tokens from a zero state: what tf.grad over `model.run` with `inputWeights` or `inputEmbeddings`
 * gives, but by the training pass's hand-written per-cell forward and backward loops, seeded with
 * d objective / d (the top layer's h or internal) instead of a loss gradient, and without any
 * weight gradient. Per step only the recurrent product is a tfjs op (the tape path runs about 65
 * kernels per LSTM step, mostly gradient bookkeeping).
 */
export function inputGradients(
  model: LanguageModel,
  objective: GradientObjective,
  input: FirstLayerInput,
  batch: number,
  steps: number,
): InputGradients {
  if (!supportsInputGradients(model, objective)) {
    const what = objective.kind === 'neuron' ? `layer ${objective.layer} ${objective.component}` : `logit ${objective.token}`;
    throw new Error(`inputGradients: ${what} of this model is not supported`);
  }
  const rows = batch * steps;
  const embedded = model.architecture.embeddingSize > 0;
  const byWeights = 'weights' in input;
  const x = byWeights ? input.weights : input.embeddings;
  if (!byWeights && !embedded) throw new Error('inputGradients: a one-hot model reads weights over the vocabulary, not embeddings');
  const width = byWeights ? model.vocabSize : model.architecture.embeddingSize;
  if (x.shape[0] !== rows || x.shape[1] !== width) {
    throw new Error(`inputGradients: expected ${byWeights ? 'weights' : 'embeddings'} [${rows}, ${width}], got [${x.shape.join(', ')}]`);
  }
  const top = topLayer(model, objective);

  const passes: RecurrentLayerPass[] = [];
  let below: Float32Array | undefined;
  for (let layer = 0; layer <= top; layer++) {
    const cell = model.cells[layer]!;
    const prefix = `layers/${layer}/`;
    const kernel = model.weight(prefix + 'kernel') as tf.Tensor2D;
    const bias = model.weight(prefix + 'bias') as tf.Tensor1D;
    const projected =
      layer === 0
        ? rowsToTimeMajor(
            readOnce(() => {
              const rowsIn = byWeights && embedded ? tf.matMul(x, model.weight('embedding')) : x;
              return tf.fused.matMul({ a: rowsIn, b: kernel, bias });
            }),
            batch,
            steps,
            cell.projectionSize,
          )
        : readOnce(() => productOf(below!, rows, kernel, bias));
    const units = cell.config.units;
    const pass = layerPass(model, cell.config, prefix, batch, steps, new Float32Array(batch * units), new Float32Array(batch * units));
    passes.push(pass);
    below = pass.forward(projected);
  }

  const { values, dOutputs, internal } = seedOf(model, objective, passes[top]!, below!, batch, steps);
  let dTop: Float32Array = dOutputs;
  for (let layer = top; ; layer--) {
    const { dProjected } = passes[layer]!.backward(dTop, { seed: layer === top ? internal : undefined, weightGradients: false });
    const kernel = model.weight(`layers/${layer}/kernel`);
    if (layer === 0) {
      const dInput = tf.tidy(() => {
        // Explicit transposes: the wasm backend's matMul with a transposed operand is several times slower.
        let d = tf.matMul(dProjected, tf.transpose(kernel));
        if (byWeights && embedded) d = tf.matMul(d, tf.transpose(model.weight('embedding')));
        // Time-major rows t·batch + b back to the caller's b·steps + t.
        return tf.reshape(tf.transpose(tf.reshape(d, [steps, batch, width]), [1, 0, 2]), [rows, width]) as tf.Tensor2D;
      });
      dProjected.dispose();
      return { values, dInput };
    }
    dTop = readOnce(() => tf.matMul(dProjected, tf.transpose(kernel)));
    dProjected.dispose();
  }
}

/**
 * `inputGradients` with respect to RunOptions.inputWeights (per position a distribution over the
 * vocabulary, so layer 0 reads weights · kernel, or weights · embedding · kernel): activation
 * maximisation's relaxed input.
 */
export function inputWeightGradients(
  model: LanguageModel,
  objective: GradientObjective,
  weights: tf.Tensor2D,
  batch: number,
  steps: number,
): InputWeightGradients {
  const { values, dInput } = inputGradients(model, objective, { weights }, batch, steps);
  return { values, dWeights: dInput };
}

function topLayer(model: LanguageModel, objective: GradientObjective): number {
  return objective.kind === 'neuron' ? objective.layer : model.architecture.layers.length - 1;
}

/**
 * The objective's value per sequence and where the backward pass starts. Every objective is
 * Σ_t w_t · q_t with w_t = 1 at the positions it reads (the last, or every one; 1/steps for the mean) and q_t read from
 * the top layer at t: a neuron's value, or a logit v·h_t + b. So d objective / d h_t is w_t at the
 * neuron, or w_t·v for a logit (`dOutputs`, per time-major row), and a neuron of another
 * component is an internal seed with the same w.
 */
function seedOf(
  model: LanguageModel,
  objective: GradientObjective,
  pass: RecurrentLayerPass,
  outputs: Float32Array,
  batch: number,
  steps: number,
): { values: Float32Array; dOutputs: Float32Array; internal?: InternalSeed } {
  const rows = batch * steps;
  const units = outputs.length / rows;
  const weights = new Float32Array(rows);
  if (objective.position === 'last') weights.fill(1, (steps - 1) * batch);
  else weights.fill(objective.position === 'mean' ? 1 / steps : 1);
  const dOutputs = new Float32Array(rows * units);
  let read: (row: number) => number;
  let internal: InternalSeed | undefined;
  if (objective.kind === 'neuron') {
    const { component, neuron } = objective;
    read = (row) => pass.read(component, row, neuron);
    if (component === 'h') for (let r = 0; r < rows; r++) dOutputs[r * units + neuron] = weights[r]!;
    else internal = { component, unit: neuron, weights };
  } else {
    const kernel = model.weight('output/kernel').dataSync() as Float32Array;
    const logits = kernel.length / units;
    const v = Float32Array.from({ length: units }, (_, i) => kernel[i * logits + objective.token]!);
    const bias = model.weight('output/bias').dataSync()[objective.token]!;
    read = (row) => {
      let logit = bias;
      for (let i = 0; i < units; i++) logit += v[i]! * outputs[row * units + i]!;
      return logit;
    };
    for (let r = 0; r < rows; r++) for (let i = 0; i < units; i++) dOutputs[r * units + i] = weights[r]! * v[i]!;
  }
  const values = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let t = 0; t < steps; t++) {
      const r = t * batch + b;
      if (weights[r] !== 0) sum += weights[r]! * read(r);
    }
    values[b] = sum;
  }
  return { values, dOutputs, internal };
}

function readOnce(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}
