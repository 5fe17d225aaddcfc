import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../languageModel';
import { rowsToTimeMajor } from './matrixLayout';
import { type InternalSeed, type RecurrentLayerPass, SEEDABLE_COMPONENTS } from './recurrentLayerPass';
import { productOf } from './rowProduct';
import { layerPass } from './sequenceBackprop';

/** A neuron of one layer's internal, read after the last token or summed over every token. */
export interface NeuronObjective {
  layer: number;
  component: string;
  neuron: number;
  position: 'last' | 'every';
}

export interface InputWeightGradients {
  /** [batch]: the objective of each sequence. */
  values: Float32Array;
  /** [batch·steps, vocab], rows b·steps + t: d objective / d inputWeights. */
  dWeights: tf.Tensor2D;
}

/**
 * Whether `inputWeightGradients` handles this objective; otherwise differentiate `model.run` with
 * `inputWeights` on the tape. Layers above the objective's never run, so only those up to it count.
 */
export function supportsInputGradients(model: LanguageModel, objective: NeuronObjective): boolean {
  const { cell, layers } = model.architecture;
  const below = layers.slice(0, objective.layer + 1);
  return (
    objective.layer >= 0 &&
    objective.layer < layers.length &&
    // The hand-written passes step forward only; a backward cell goes on the tape.
    below.every((l) => l.direction !== 'bidirectional') &&
    SEEDABLE_COMPONENTS[cell].includes(objective.component) &&
    (cell !== 'gru' || below.every((l) => l.resetAfter))
  );
}

/**
 * The objective and its gradient with respect to the input weights (RunOptions.inputWeights: per
 * position a distribution over the vocabulary, so layer 0 reads weights · kernel, or
 * weights · embedding · kernel), for `batch` sequences of `steps` tokens from a zero state: what
 * tf.grad over `model.run` gives, but by the training pass's hand-written per-cell forward and
 * backward loops, seeded with d objective / d internal instead of a loss gradient, and without
 * any weight gradient. Per step only the recurrent product is a tfjs op (the tape path runs about
 * 65 kernels per LSTM step, mostly gradient bookkeeping).
 */
export function inputWeightGradients(
  model: LanguageModel,
  objective: NeuronObjective,
  weights: tf.Tensor2D,
  batch: number,
  steps: number,
): InputWeightGradients {
  if (!supportsInputGradients(model, objective)) {
    throw new Error(`inputWeightGradients: layer ${objective.layer} ${objective.component} of this model is not supported`);
  }
  const rows = batch * steps;
  const vocab = model.vocabSize;
  if (weights.shape[0] !== rows || weights.shape[1] !== vocab) {
    throw new Error(`inputWeightGradients: expected weights [${rows}, ${vocab}], got [${weights.shape.join(', ')}]`);
  }
  const embedded = model.architecture.embeddingSize > 0;
  const top = objective.layer;

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
              const x = embedded ? tf.matMul(weights, model.weight('embedding')) : weights;
              return tf.fused.matMul({ a: x, b: kernel, bias });
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

  // d objective / d internal per time-major row: the last step's rows, or every row.
  const seedWeights = new Float32Array(rows);
  seedWeights.fill(1, objective.position === 'last' ? (steps - 1) * batch : 0);
  const values = new Float32Array(batch);
  const pass = passes[top]!;
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let t = objective.position === 'last' ? steps - 1 : 0; t < steps; t++)
      sum += pass.read(objective.component, t * batch + b, objective.neuron);
    values[b] = sum;
  }

  const units = model.layerUnits(top);
  let dOutputs: Float32Array = new Float32Array(rows * units);
  let seed: InternalSeed | undefined;
  if (objective.component === 'h') for (let r = 0; r < rows; r++) dOutputs[r * units + objective.neuron] = seedWeights[r]!;
  else seed = { component: objective.component, unit: objective.neuron, weights: seedWeights };
  for (let layer = top; ; layer--) {
    const { dProjected } = passes[layer]!.backward(dOutputs, { seed: layer === top ? seed : undefined, weightGradients: false });
    const kernel = model.weight(`layers/${layer}/kernel`);
    if (layer === 0) {
      const dWeights = tf.tidy(() => {
        // Explicit transposes: the wasm backend's matMul with a transposed operand is several times slower.
        let d = tf.matMul(dProjected, tf.transpose(kernel));
        if (embedded) d = tf.matMul(d, tf.transpose(model.weight('embedding')));
        // Time-major rows t·batch + b back to the caller's b·steps + t.
        return tf.reshape(tf.transpose(tf.reshape(d, [steps, batch, vocab]), [1, 0, 2]), [rows, vocab]) as tf.Tensor2D;
      });
      dProjected.dispose();
      return { values, dWeights };
    }
    dOutputs = readOnce(() => tf.matMul(dProjected, tf.transpose(kernel)));
    dProjected.dispose();
  }
}

function readOnce(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}
