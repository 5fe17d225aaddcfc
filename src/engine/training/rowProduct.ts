import * as tf from '@tensorflow/tfjs-core';

/**
 * rows · matrix for one time step's [rows, width] block held in a Float32Array: the only tfjs op
 * of a hand-written step, so its input and output cross into and out of the backend once each.
 */
export function rowProduct(values: Float32Array, rows: number, matrix: tf.Tensor2D): Float32Array {
  const x = tf.tensor2d(values, [rows, matrix.shape[0]]);
  const y = tf.matMul(x, matrix);
  const out = y.dataSync() as Float32Array;
  x.dispose();
  y.dispose();
  return out;
}

/**
 * [rows, columns] values as a tensor times `right` (+ bias, fused into the product so the result
 * is written once): a whole-sequence product.
 */
export function productOf(values: Float32Array, rows: number, right: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.fused.matMul({ a: tf.tensor2d(values, [rows, values.length / rows]), b: right, bias }) as tf.Tensor2D);
}
