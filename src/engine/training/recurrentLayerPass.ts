import type * as tf from '@tensorflow/tfjs-core';

/**
 * d(objective)/d(an internal other than h) to inject into a backward pass: `weights[row]` for unit
 * `unit` of `component` at every time-major row. (An objective on h is just `dOutputs`.)
 */
export interface InternalSeed {
  component: string;
  unit: number;
  weights: Float32Array;
}

export interface BackwardOptions {
  seed?: InternalSeed;
  /** False when only the input gradient is wanted (activation maximisation): skips the weight products. */
  weightGradients?: boolean;
}

/**
 * One recurrent layer's forward and backward pass over a whole truncated sequence, held in
 * time-major Float32Arrays (row t·batch + b). Only the recurrent product of each step runs as a
 * tfjs op; the gates' elementwise work is one fused loop per step, and everything the backward
 * pass needs is kept from the forward pass.
 */
export interface RecurrentLayerPass {
  /** Width of the input projection x·W + b (units × gates). */
  readonly projectionSize: number;
  /** Runs every step from the input projections [steps·batch, projectionSize]; returns the outputs h [steps·batch, units]. */
  forward(projected: Float32Array): Float32Array;
  /** State after the last step, in the cell's layout ([h] or [h, c]), each [batch·units]. */
  finalState(): Float32Array[];
  /** After `forward`: `component` of `unit` at time-major row `row`, as the cell's internals report it. */
  read(component: string, row: number, unit: number): number;
  /**
   * From d loss / d h of every step (from the layer above or the output), the gradient of the input
   * projections and the gradients of the layer's recurrent weights by cell weight name.
   */
  backward(dOutputs: Float32Array, options?: BackwardOptions): BackwardResult;
}

export interface BackwardResult {
  dProjected: tf.Tensor2D;
  dProjectedValues: Float32Array;
  /** Empty when `weightGradients` is false. */
  recurrent: Record<string, tf.Tensor>;
}

/** Which internals `read` and `InternalSeed` handle, by cell kind. */
export const SEEDABLE_COMPONENTS: Record<'lstm' | 'gru' | 'rnn', readonly string[]> = {
  lstm: ['h', 'c', 'i', 'f', 'g', 'o'],
  gru: ['h', 'z', 'r', 'n'],
  rnn: ['h'],
};

export function unknownComponent(kind: string, component: string): Error {
  return new Error(`The hand-written ${kind} pass does not track "${component}"`);
}
