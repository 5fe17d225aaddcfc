import type * as tf from '@tensorflow/tfjs-core';

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
  /**
   * From d loss / d h of every step (from the layer above or the output), the gradient of the input
   * projections and the gradients of the layer's recurrent weights by cell weight name.
   */
  backward(dOutputs: Float32Array): { dProjected: tf.Tensor2D; dProjectedValues: Float32Array; recurrent: Record<string, tf.Tensor> };
}
