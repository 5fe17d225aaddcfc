import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationName } from './activationFunctions';

export type CellKind = 'rnn' | 'lstm' | 'gru';
export const CELL_KINDS: readonly CellKind[] = ['rnn', 'lstm', 'gru'];

/** What range a component's values live in; views pick a colour scale from it. */
export type ValueRange = 'signed' | 'unit' | 'unbounded';

/** One observable internal of a cell, e.g. the LSTM forget gate. */
export interface ComponentInfo {
  /** Short id used in files, messages and the CLI (`h`, `c`, `f`, ...). */
  readonly id: string;
  /** Human label (`forget gate`). */
  readonly label: string;
  /** Other names the CLI and settings accept (`forget`). */
  readonly aliases: readonly string[];
  readonly range: ValueRange;
}

export interface CellConfig {
  kind: CellKind;
  inputSize: number;
  units: number;
  /** Output nonlinearity (RNN hidden, LSTM candidate and cell output, GRU candidate). */
  activation: ActivationName;
  /** Gate nonlinearity (LSTM and GRU); Keras LSTMs often use hardSigmoid. */
  recurrentActivation: ActivationName;
  /** GRU only: apply the reset gate after the recurrent matmul (PyTorch, Keras 2 default). */
  resetAfter: boolean;
}

export interface CellWeight {
  /** Name inside the layer: `kernel`, `recurrent_kernel`, `bias`, `recurrent_bias`. */
  readonly name: string;
  readonly shape: readonly number[];
}

export interface CellStepResult {
  /** New recurrent state, same layout as the input state (e.g. [h] or [h, c]). */
  readonly state: tf.Tensor2D[];
  /** Every observable internal of this step, keyed by component id, each [batch, units]. */
  readonly internals: Record<string, tf.Tensor2D>;
}

/**
 * A recurrent cell written with tfjs-core ops so that autodiff trains it and every internal is
 * visible. The input projection `x·W + b` is separate from the step because it does not depend
 * on the state: the model computes it for a whole sequence with one matmul (or, for one-hot
 * inputs, one row gather) and each step only adds the recurrent part.
 */
export interface RecurrentCell {
  readonly config: CellConfig;
  readonly components: readonly ComponentInfo[];
  /** Width of the input projection (units × number of gates). */
  readonly projectionSize: number;
  /** Number of state tensors (1 for RNN/GRU, 2 for LSTM: h then c). */
  readonly stateSize: number;
  /** Input kernel W, [inputSize, projectionSize]. */
  readonly kernel: tf.Tensor2D;
  /** Bias added to the input projection, [projectionSize]. */
  readonly bias: tf.Tensor1D;
  /** One time step from the projected input `x·W + b` ([batch, projectionSize]). */
  step(projectedInput: tf.Tensor2D, state: tf.Tensor2D[]): CellStepResult;
}

/** The tensors a cell is built from, keyed by CellWeight name. */
export type CellWeights = ReadonlyMap<string, tf.Tensor>;

function requireWeight(weights: CellWeights, name: string, rank: number): tf.Tensor {
  const w = weights.get(name);
  if (!w) throw new Error(`Cell weight "${name}" is missing`);
  if (w.rank !== rank) throw new Error(`Cell weight "${name}" must have rank ${rank}, not ${w.rank}`);
  return w;
}

export function matrixWeight(weights: CellWeights, name: string): tf.Tensor2D {
  return requireWeight(weights, name, 2) as tf.Tensor2D;
}

export function vectorWeight(weights: CellWeights, name: string): tf.Tensor1D {
  return requireWeight(weights, name, 1) as tf.Tensor1D;
}

/** The hidden output of a step is always the first state tensor. */
export function hiddenOf(state: tf.Tensor2D[]): tf.Tensor2D {
  const h = state[0];
  if (!h) throw new Error('Cell state is empty');
  return h;
}
