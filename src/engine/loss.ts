import * as tf from '@tensorflow/tfjs-core';

/** Mean softmax cross-entropy in nats of `logits` [n, vocab] against integer `labels` [n]. */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1])), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

export const NATS_PER_BIT = Math.LN2;

/** Empirical entropy in bits per token of a sequence of ids (its unigram distribution). */
export function unigramEntropy(ids: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) counts.set(ids[i]!, (counts.get(ids[i]!) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / ids.length;
    h -= p * Math.log2(p);
  }
  return h;
}
