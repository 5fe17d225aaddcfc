import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel, LayerState, RunOptions } from '../languageModel';
import type { CellConfig } from '../cells/recurrentCell';
import { GruLayerPass } from './gruLayerPass';
import { LstmLayerPass } from './lstmLayerPass';
import { columnSums, lookupRows, rowsToTimeMajor, scatterAddRows, toTimeMajor, transpose } from './matrixLayout';
import type { RecurrentLayerPass } from './recurrentLayerPass';
import { RnnLayerPass } from './rnnLayerPass';
import { productOf } from './rowProduct';
import { softmaxCrossEntropy } from './softmaxCrossEntropy';

export interface SequenceGradients {
  /** Mean cross-entropy in nats over the window. */
  loss: tf.Scalar;
  /** Gradient of every trainable variable, keyed by variable name as tf.variableGrads keys them. */
  grads: tf.NamedTensorMap;
  /** State after the window, to carry into the next one. */
  state: LayerState[];
}

/** Whether `sequenceGradients` handles this model; otherwise train it with autodiff over `model.run`. */
export function supportsSequenceGradients(model: LanguageModel): boolean {
  const { task, cell, layers } = model.architecture;
  // A GRU that resets before the recurrent product needs a second product per step: autodiff.
  return task === 'language-model' && (cell !== 'gru' || layers.every((l) => l.resetAfter));
}

/**
 * Loss and gradients of a language model over one window, as tf.variableGrads over `model.run` +
 * `crossEntropy` computes them, but by hand-written back-propagation through time: no tape, the
 * input projections, output projection, softmax and weight gradients each one whole-sequence
 * operation, and per step only the recurrent product plus a fused elementwise loop. Dropout uses
 * `options.dropoutMasks` at the same sites and in the same call order as `model.run`, so a seeded
 * mask factory gives the same masks on both paths.
 */
export function sequenceGradients(
  model: LanguageModel,
  ids: Int32Array,
  labels: Int32Array,
  batch: number,
  steps: number,
  state: LayerState[],
  options: Pick<RunOptions, 'dropoutMasks'> = {},
): SequenceGradients {
  if (!supportsSequenceGradients(model))
    throw new Error(`sequenceGradients: this ${model.architecture.cell} model is not supported (train it with autodiff)`);
  if (ids.length !== batch * steps || labels.length !== ids.length) {
    throw new Error(`sequenceGradients: expected ${batch * steps} ids and labels, got ${ids.length} and ${labels.length}`);
  }
  const rows = batch * steps;
  const tokens = toTimeMajor(ids, batch, steps);
  const targets = toTimeMajor(labels, batch, steps);
  const arch = model.architecture;
  const embedded = arch.embeddingSize > 0;
  const grads: tf.NamedTensorMap = {};
  const setGrad = (name: string, g: tf.Tensor) => {
    grads[model.weight(name).name] = g;
  };

  // Forward. inputs[l] is layer l's input after dropout (absent for a one-hot first layer).
  const inputs: (Float32Array | undefined)[] = [];
  const masks: (Float32Array | undefined)[] = [];
  const passes: RecurrentLayerPass[] = [];
  let below: Float32Array | undefined;
  model.cells.forEach((cell, layer) => {
    const prefix = `layers/${layer}/`;
    const kernel = model.weight(prefix + 'kernel') as tf.Tensor2D;
    const bias = model.weight(prefix + 'bias');
    let projected: Float32Array;
    if (layer === 0 && !embedded) {
      projected = lookupRows(kernel.dataSync() as Float32Array, tokens, kernel.shape[1], bias.dataSync() as Float32Array);
    } else {
      const embedding = layer === 0 ? model.weight('embedding') : undefined;
      const raw = embedding ? lookupRows(embedding.dataSync() as Float32Array, tokens, embedding.shape[1]!) : below!;
      const mask = timeMajorMask(options, layer, batch, steps, raw.length / rows);
      const input = mask ? multiplied(raw, mask) : raw;
      masks[layer] = mask;
      inputs[layer] = input;
      projected = readOnce(() => productOf(input, rows, kernel, bias as tf.Tensor1D));
    }
    const layerState = state[layer];
    if (!layerState) throw new Error(`sequenceGradients: missing state for layer ${layer}`);
    const [h0, c0] = layerState.map((s) => s.dataSync() as Float32Array);
    const pass = layerPass(model, cell.config, prefix, batch, steps, h0!, c0);
    passes.push(pass);
    below = pass.forward(projected);
  });
  const top = model.cells.length;
  const outputMask = timeMajorMask(options, top, batch, steps, model.layerUnits(top - 1));
  const topOutput = outputMask ? multiplied(below!, outputMask) : below!;
  const outputKernel = model.weight('output/kernel') as tf.Tensor2D;
  const logits = productOf(topOutput, rows, outputKernel, model.weight('output/bias') as tf.Tensor1D);
  const { loss, dLogits } = softmaxCrossEntropy(logits, targets);
  logits.dispose();

  // Backward.
  const units = model.layerUnits(top - 1);
  setGrad('output/kernel', productOf(transpose(topOutput, rows, units), units, dLogits));
  setGrad('output/bias', tf.sum(dLogits, 0));
  let dOutputs = readOnce(() => tf.matMul(dLogits, tf.transpose(outputKernel)));
  dLogits.dispose();
  if (outputMask) dOutputs = multiplied(dOutputs, outputMask);
  for (let layer = top - 1; layer >= 0; layer--) {
    const prefix = `layers/${layer}/`;
    const { dProjected, dProjectedValues, recurrent } = passes[layer]!.backward(dOutputs);
    for (const [name, g] of Object.entries(recurrent)) setGrad(prefix + name, g);
    setGrad(prefix + 'bias', tf.tensor1d(columnSums(dProjectedValues, rows, passes[layer]!.projectionSize)));
    const input = inputs[layer];
    if (!input) {
      // One-hot input: row `id` of the kernel was added, so its gradient is a scatter of dz rows.
      setGrad(
        prefix + 'kernel',
        tf.tensor2d(scatterAddRows(dProjectedValues, tokens, arch.vocabSize, passes[layer]!.projectionSize), [
          arch.vocabSize,
          passes[layer]!.projectionSize,
        ]),
      );
    } else {
      const width = input.length / rows;
      setGrad(prefix + 'kernel', productOf(transpose(input, rows, width), width, dProjected));
      const kernel = model.weight(prefix + 'kernel');
      let dInput = readOnce(() => tf.matMul(dProjected, tf.transpose(kernel)));
      const mask = masks[layer];
      if (mask) dInput = multiplied(dInput, mask);
      if (layer > 0) dOutputs = dInput;
      else setGrad('embedding', tf.tensor2d(scatterAddRows(dInput, tokens, arch.vocabSize, width), [arch.vocabSize, width]));
    }
    dProjected.dispose();
  }
  const nextState = passes.map((pass) => pass.finalState().map((s) => tf.tensor2d(s, [batch, s.length / batch])));
  return { loss, grads, state: nextState };
}

/** The hand-written pass of one layer (training, and input gradients for maximisation). */
export function layerPass(
  model: LanguageModel,
  config: CellConfig,
  prefix: string,
  batch: number,
  steps: number,
  h0: Float32Array,
  c0: Float32Array | undefined,
): RecurrentLayerPass {
  const recurrentKernel = model.weight(prefix + 'recurrent_kernel') as tf.Tensor2D;
  switch (config.kind) {
    case 'lstm':
      return new LstmLayerPass(config, recurrentKernel, batch, steps, h0, c0!);
    case 'gru':
      return new GruLayerPass(
        config,
        recurrentKernel,
        model.weight(prefix + 'recurrent_bias').dataSync() as Float32Array,
        batch,
        steps,
        h0,
      );
    case 'rnn':
      return new RnnLayerPass(config, recurrentKernel, batch, steps, h0);
  }
}

/**
 * Runs `f` in a tidy scope and returns its result's values. (Returning the array from inside
 * tf.tidy would make tidy walk it element by element looking for tensors.)
 */
function readOnce(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

function multiplied(values: Float32Array, mask: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = values[k]! * mask[k]!;
  return out;
}

/** The dropout mask for `site` (model.run's batch-major rows), reordered time-major. */
function timeMajorMask(
  options: Pick<RunOptions, 'dropoutMasks'>,
  site: number,
  batch: number,
  steps: number,
  width: number,
): Float32Array | undefined {
  const mask = options.dropoutMasks?.(site, batch * steps, width);
  if (!mask) return undefined;
  const values = mask.dataSync() as Float32Array;
  mask.dispose();
  return rowsToTimeMajor(values, batch, steps, width);
}
