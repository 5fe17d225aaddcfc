import * as tf from '@tensorflow/tfjs-core';

/**
 * `table[ids]` with a gradient that scatter-adds into the table's rows. tfjs differentiates
 * `gather` with the UnsortedSegmentSum kernel, which the wasm backend lacks; the scatter here is a
 * plain loop over the (small) upstream gradient, so embeddings and one-hot inputs train on every
 * backend. The ids are plain integers (not a tensor) because the gradient runs after the forward
 * pass's intermediate tensors are gone.
 */
export function gatherRows(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const op = tf.customGrad(((t: tf.Tensor) => {
    const value = tf.gather(t as tf.Tensor2D, tf.tensor1d(ids, 'int32'));
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const [rows, width] = t.shape as [number, number];
      const upstream = dy.dataSync();
      const out = new Float32Array(rows * width);
      for (let n = 0; n < ids.length; n++) {
        const dst = ids[n]! * width;
        const src = n * width;
        for (let j = 0; j < width; j++) out[dst + j]! += upstream[src + j]!;
      }
      return tf.tensor2d(out, [rows, width]);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(table) as tf.Tensor2D;
}
