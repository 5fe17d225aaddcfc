import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from './activationFunctions';
import {
  type CellConfig,
  type CellStepResult,
  type CellWeight,
  type CellWeights,
  type ComponentInfo,
  type RecurrentCell,
  matrixWeight,
  vectorWeight,
} from './recurrentCell';

const COMPONENTS: readonly ComponentInfo[] = [
  { id: 'h', label: 'hidden state', aliases: ['hidden', 'output-state'], range: 'signed' },
  { id: 'c', label: 'cell state', aliases: ['cell'], range: 'unbounded' },
  { id: 'i', label: 'input gate', aliases: ['input'], range: 'unit' },
  { id: 'f', label: 'forget gate', aliases: ['forget'], range: 'unit' },
  { id: 'g', label: 'candidate', aliases: ['candidate', 'cell-input'], range: 'signed' },
  { id: 'o', label: 'output gate', aliases: ['output', 'output-gate'], range: 'unit' },
];

/**
 * LSTM with the Keras / tfjs-layers / PyTorch gate order [i, f, g, o] in the kernels:
 *   i = σ(·), f = σ(·), g = act(·), o = σ(·) of x·W + h_{t-1}·U + b,
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ act(c_t).
 * State is [h, c].
 */
export class LstmCell implements RecurrentCell {
  static readonly components = COMPONENTS;
  readonly components = COMPONENTS;
  readonly projectionSize: number;
  readonly stateSize = 2;
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
  private readonly recurrentKernel: tf.Tensor2D;

  static weightSpecs(config: CellConfig): CellWeight[] {
    const g = 4 * config.units;
    return [
      { name: 'kernel', shape: [config.inputSize, g] },
      { name: 'recurrent_kernel', shape: [config.units, g] },
      { name: 'bias', shape: [g] },
    ];
  }

  constructor(
    readonly config: CellConfig,
    weights: CellWeights,
  ) {
    this.projectionSize = 4 * config.units;
    this.kernel = matrixWeight(weights, 'kernel');
    this.recurrentKernel = matrixWeight(weights, 'recurrent_kernel');
    this.bias = vectorWeight(weights, 'bias');
  }

  step(projectedInput: tf.Tensor2D, state: tf.Tensor2D[]): CellStepResult {
    const [hPrev, cPrev] = state;
    if (!hPrev || !cPrev) throw new Error('LSTM state must be [h, c]');
    const z: tf.Tensor2D = tf.add(projectedInput, tf.matMul(hPrev, this.recurrentKernel));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const gate = this.config.recurrentActivation;
    const i = applyActivation(gate, zi);
    const f = applyActivation(gate, zf);
    const g = applyActivation(this.config.activation, zg);
    const o = applyActivation(gate, zo);
    const c: tf.Tensor2D = tf.add(tf.mul(f, cPrev), tf.mul(i, g));
    const h: tf.Tensor2D = tf.mul(o, applyActivation(this.config.activation, c));
    return { state: [h, c], internals: { h, c, i, f, g, o } };
  }
}
