import * as tf from '@tensorflow/tfjs-core';
import type { ClassifierArchitecture, ClassifierPooling } from '../architecture';
import { NeuronLensError } from '../errors';
import type { LanguageModel, RunOptions } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';

/** The ids a classifier sees for a text: its first maxTokens tokens. */
export function encodeForClassifier(tokenizer: ModelTokenizer, text: string, maxTokens: number): Int32Array {
  const tokens = tokenizer.tokenize(text).slice(0, maxTokens);
  return tokenizer.vocabulary.encode(tokens.map((t) => t.text));
}

/**
 * A batch of texts of different lengths, right-padded to the longest. The model is causal, so the
 * state at a text's own last token (and every state before it) is exactly what that text alone
 * gives: padding only adds positions after it, which pooling never reads. No masking of the
 * recurrence is needed, and the instrumented step loop stays the language model's.
 */
export interface PaddedBatch {
  ids: Int32Array;
  lengths: Int32Array;
  batch: number;
  steps: number;
}

export function padBatch(sequences: readonly Int32Array[]): PaddedBatch {
  const batch = sequences.length;
  // At least 2 steps: tfjs cannot differentiate unstacking an axis of length 1 (Unpack's gradient
  // then gets a lone tensor where it expects a list), and padding is free for a causal model.
  const steps = Math.max(2, ...sequences.map((s) => s.length));
  const ids = new Int32Array(batch * steps);
  const lengths = new Int32Array(batch);
  sequences.forEach((s, b) => {
    if (s.length === 0) throw new NeuronLensError('A text to classify has no tokens');
    ids.set(s, b * steps);
    lengths[b] = s.length;
  });
  return { ids, lengths, batch, steps };
}

export function classifierArchitecture(model: LanguageModel): ClassifierArchitecture {
  const arch = model.architecture;
  if (arch.task !== 'classifier') throw new NeuronLensError('This model is a language model, not a classifier', 'invalid-model');
  return arch;
}

/**
 * Class logits [batch, classes] of a padded batch: the per-token logits weighted by the pooling
 * (1 at each text's last token, or 1/length over its tokens) and summed. The head is linear, so
 * this equals applying it to the pooled hidden states; a weighted sum (rather than a gather) also
 * differentiates on the wasm backend, which lacks gather's gradient kernel.
 */
export function pooledLogits(model: LanguageModel, b: PaddedBatch, options: Pick<RunOptions, 'dropoutMasks'> = {}): tf.Tensor2D {
  const { pooling } = classifierArchitecture(model);
  const weights = poolingWeights(b, pooling);
  return tf.tidy(() => {
    const state = model.zeroState(b.batch);
    const logits = model.run(b.ids, b.batch, b.steps, state, options).logits!;
    const perToken = tf.reshape(logits, [b.batch, b.steps, logits.shape[1]]);
    return tf.sum(tf.mul(perToken, tf.tensor3d(weights, [b.batch, b.steps, 1])), 1) as tf.Tensor2D;
  });
}

/** [batch × steps] weights of each position in its text's pooled state; padding gets 0. */
export function poolingWeights(b: PaddedBatch, pooling: ClassifierPooling): Float32Array {
  const weights = new Float32Array(b.batch * b.steps);
  b.lengths.forEach((n, i) => {
    if (pooling === 'last') weights[i * b.steps + n - 1] = 1;
    else weights.fill(1 / n, i * b.steps, i * b.steps + n);
  });
  return weights;
}

/** Softmax probabilities [batch × classes], row-major, for texts already encoded and truncated. */
export function classProbabilities(model: LanguageModel, sequences: readonly Int32Array[]): Float32Array {
  const logits = pooledLogits(model, padBatch(sequences));
  const probs = tf.softmax(logits);
  const out = probs.dataSync() as Float32Array;
  tf.dispose([logits, probs]);
  return out;
}
