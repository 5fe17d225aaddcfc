import * as tf from '@tensorflow/tfjs-core';

/** TensorFlow's 'same' padding for stride 1: the odd pixel of an even kernel goes after the image. */
export function samePadding(kernel: number): [number, number] {
  const before = Math.floor((kernel - 1) / 2);
  return [before, kernel - 1 - before];
}

/** ∂L/∂input of a 'same' stride-1 convolution: a 'valid' convolution of the padded gradient with the flipped kernel. */
function inputGradient(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [before, after] = samePadding(kernel.shape[0]);
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const padded = tf.pad(dy, [
    [0, 0],
    [after, before],
    [after, before],
    [0, 0],
  ]);
  return tf.conv2d(padded, flipped, 1, 'valid');
}

/**
 * ∂L/∂kernel of a 'same' stride-1 convolution, itself a convolution: the padded input with batch
 * and channels swapped, filtered by the output gradient used as a kernel (the batch is summed
 * over as the inner dimension).
 */
function kernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, kernel: number): tf.Tensor4D {
  const [before, after] = samePadding(kernel);
  const padded = tf.pad(x, [
    [0, 0],
    [before, after],
    [before, after],
    [0, 0],
  ]);
  const images = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D; // [channels, h', w', batch]
  const filters = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [h, w, batch, filters]
  return tf.transpose(tf.conv2d(images, filters, 1, 'valid'), [1, 2, 0, 3]); // [k, k, channels, filters]
}

/**
 * A 'same'-padded stride-1 2-D convolution whose gradients run fast on every backend. The wasm
 * backend has no Conv2DBackpropFilter kernel and a slow Conv2DBackpropInput, so both gradients
 * are written as forward convolutions (which it runs with XNNPACK).
 */
const conv2dWithGradients = tf.customGrad((...args) => {
  const [x, kernel, save] = args as [tf.Tensor4D, tf.Tensor4D, (tensors: tf.Tensor[]) => void];
  save([x, kernel]);
  return {
    value: tf.conv2d(x, kernel, 1, 'same'),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [inputGradient(dy as tf.Tensor4D, ws), kernelGradient(xs, dy as tf.Tensor4D, ws.shape[0])];
    },
  };
});

export function conv2dSame(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return conv2dWithGradients(x, kernel) as tf.Tensor4D;
}
