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
  { id: 'z', label: 'update gate', aliases: ['update'], range: 'unit' },
  { id: 'r', label: 'reset gate', aliases: ['reset'], range: 'unit' },
  { id: 'n', label: 'candidate', aliases: ['candidate'], range: 'signed' },
];

/**
 * GRU with the Keras gate order [z, r, n] in the kernels:
 *   z = σ(x·W_z + h·U_z + b_z), r = σ(x·W_r + h·U_r + b_r),
 *   n = act(x·W_n + b_n + r ⊙ (h·U_n + b'_n))   (resetAfter, as PyTorch and Keras 2)
 *   n = act(x·W_n + b_n + (r ⊙ h)·U_n)           (not resetAfter, as the original paper)
 *   h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n.
 * With resetAfter the recurrent part has its own bias (`recurrent_bias`).
 */
export class GruCell implements RecurrentCell {
  static readonly components = COMPONENTS;
  readonly components = COMPONENTS;
  readonly projectionSize: number;
  readonly stateSize = 1;
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;
  private readonly recurrentKernel: tf.Tensor2D;
  private readonly recurrentBias: tf.Tensor1D | undefined;

  static weightSpecs(config: CellConfig): CellWeight[] {
    const g = 3 * config.units;
    const specs: CellWeight[] = [
      { name: 'kernel', shape: [config.inputSize, g] },
      { name: 'recurrent_kernel', shape: [config.units, g] },
      { name: 'bias', shape: [g] },
    ];
    if (config.resetAfter) specs.push({ name: 'recurrent_bias', shape: [g] });
    return specs;
  }

  constructor(
    readonly config: CellConfig,
    weights: CellWeights,
  ) {
    this.projectionSize = 3 * config.units;
    this.kernel = matrixWeight(weights, 'kernel');
    this.recurrentKernel = matrixWeight(weights, 'recurrent_kernel');
    this.bias = vectorWeight(weights, 'bias');
    this.recurrentBias = config.resetAfter ? vectorWeight(weights, 'recurrent_bias') : undefined;
  }

  step(projectedInput: tf.Tensor2D, state: tf.Tensor2D[]): CellStepResult {
    const hPrev = hiddenOf(state);
    const u = this.config.units;
    const [xz, xr, xn] = tf.split(projectedInput, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const gate = this.config.recurrentActivation;
    let z: tf.Tensor2D;
    let r: tf.Tensor2D;
    let n: tf.Tensor2D;
    if (this.recurrentBias) {
      const hp: tf.Tensor2D = tf.add(tf.matMul(hPrev, this.recurrentKernel), this.recurrentBias);
      const [hz, hr, hn] = tf.split(hp, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      z = applyActivation(gate, tf.add<tf.Tensor2D>(xz, hz));
      r = applyActivation(gate, tf.add<tf.Tensor2D>(xr, hr));
      n = applyActivation(this.config.activation, tf.add<tf.Tensor2D>(xn, tf.mul(r, hn)));
    } else {
      const uzr = tf.slice(this.recurrentKernel, [0, 0], [u, 2 * u]);
      const un = tf.slice(this.recurrentKernel, [0, 2 * u], [u, u]);
      const [hz, hr] = tf.split(tf.matMul(hPrev, uzr), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      z = applyActivation(gate, tf.add<tf.Tensor2D>(xz, hz));
      r = applyActivation(gate, tf.add<tf.Tensor2D>(xr, hr));
      n = applyActivation(this.config.activation, tf.add<tf.Tensor2D>(xn, tf.matMul(tf.mul<tf.Tensor2D>(r, hPrev), un)));
    }
    const h: tf.Tensor2D = tf.add(tf.mul(z, hPrev), tf.mul(tf.sub(1, z) as tf.Tensor2D, n));
    return { state: [h], internals: { h, z, r, n } };
  }
}
