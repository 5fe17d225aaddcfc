import * as tf from '@tensorflow/tfjs-core';

/** Activation functions a recurrent cell may use (the names Keras and tfjs-layers write). */
export type ActivationName = 'tanh' | 'sigmoid' | 'hardSigmoid' | 'relu' | 'linear';
export const ACTIVATION_NAMES: readonly ActivationName[] = ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'linear'];

export function applyActivation(name: ActivationName, x: tf.Tensor2D): tf.Tensor2D {
  switch (name) {
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hardSigmoid':
      // tfjs-layers' definition: clip(0.2 x + 0.5, 0, 1).
      return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1) as tf.Tensor2D;
    case 'relu':
      return tf.relu(x);
    case 'linear':
      return x;
  }
}
