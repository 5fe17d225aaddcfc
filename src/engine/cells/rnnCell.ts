import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from './activationFunctions';
import {
  type CellConfig,
  type CellStepResult,
  type CellWeight,
  type CellWeights,
  type ComponentInfo,
  type RecurrentCell,
  hiddenOf,
  matrixWeight,
  vectorWeight,
} from './recurrentCell';

const COMPONENTS: readonly ComponentInfo[] = [
  { id: 'h', label: 'hidden state', aliases: ['hidden', 'output'], range: 'signed' },
  // The thesis tool showed the pre-activation; it is kept so its pictures can be reproduced.
  { id: 'pre', label: 'pre-activation', aliases: ['preactivation'], range: 'unbounded' },
];

/** Elman RNN: h_t = act(x_t·W + h_{t-1}·U + b). */
export class RnnCell implements RecurrentCell {
  static readonly components = COMPONENTS;
  readonly components = COMPONENTS;
  readonly projectionSize: number;
  readonly stateSize = 1;
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
  private readonly recurrentKernel: tf.Tensor2D;

  static weightSpecs(config: CellConfig): CellWeight[] {
    return [
      { name: 'kernel', shape: [config.inputSize, config.units] },
      { name: 'recurrent_kernel', shape: [config.units, config.units] },
      { name: 'bias', shape: [config.units] },
    ];
  }

  constructor(
    readonly config: CellConfig,
    weights: CellWeights,
  ) {
    this.projectionSize = config.units;
    this.kernel = matrixWeight(weights, 'kernel');
    this.recurrentKernel = matrixWeight(weights, 'recurrent_kernel');
    this.bias = vectorWeight(weights, 'bias');
  }

  step(projectedInput: tf.Tensor2D, state: tf.Tensor2D[]): CellStepResult {
    const pre: tf.Tensor2D = tf.add(projectedInput, tf.matMul(hiddenOf(state), this.recurrentKernel));
    const h = applyActivation(this.config.activation, pre);
    return { state: [h], internals: { h, pre } };
  }
}
