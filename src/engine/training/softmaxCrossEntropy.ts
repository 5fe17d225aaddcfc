import * as tf from '@tensorflow/tfjs-core';

export interface LossAndGradient {
  /** Mean softmax cross-entropy in nats, as `crossEntropy` in loss.ts computes it. */
  loss: tf.Scalar;
  /** d loss / d logits, [n, classes]: (softmax − one-hot) / n. */
  dLogits: tf.Tensor2D;
}

/**
 * The loss of every position at once and its gradient in closed form, so no tape is kept over the
 * [n, classes] logits (for a 10,000-word vocabulary each pass over them is tens of MB).
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: Int32Array): LossAndGradient {
  const [n, classes] = logits.shape;
  if (labels.length !== n) throw new RangeError(`softmaxCrossEntropy: ${n} rows of logits but ${labels.length} labels`);
  const picked = new Int32Array(n);
  for (let r = 0; r < n; r++) picked[r] = r * classes + labels[r]!;
  return tf.tidy(() => {
    const logNormaliser = tf.logSumExp(logits, 1, true);
    const labelLogits = tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(picked, 'int32'));
    const loss = tf.sub(tf.mean(logNormaliser), tf.mean(labelLogits)) as tf.Scalar;
    const probabilities = tf.exp(tf.sub(logits, logNormaliser));
    const dLogits = tf.mul(tf.sub(probabilities, tf.oneHot(tf.tensor1d(labels, 'int32'), classes)), 1 / n) as tf.Tensor2D;
    return { loss, dLogits };
  });
}
