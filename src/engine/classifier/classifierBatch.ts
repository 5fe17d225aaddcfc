import * as tf from '@tensorflow/tfjs-core';
import { type ClassifierArchitecture, type ClassifierPooling, isBidirectional } from '../architecture';
import { BACKWARD_PREFIX, mergeDirections } from '../bidirectional';
import { NeuronLensError } from '../errors';
import type { LanguageModel, RunOptions } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';

/** The ids a classifier sees for a text: its first maxTokens tokens. */
export function encodeForClassifier(tokenizer: ModelTokenizer, text: string, maxTokens: number): Int32Array {
  const tokens = tokenizer.tokenize(text).slice(0, maxTokens);
  return tokenizer.vocabulary.encode(tokens.map((t) => t.text));
}

/**
 * A batch of texts of different lengths, right-padded to the longest. A causal model's state at a
 * text's own last token (and every state before it) is exactly what that text alone gives:
 * padding only adds positions after it, which pooling never reads. A bidirectional layer's
 * backward cell is given the lengths (RunOptions.lengths) and starts each text at its own last
 * token, so it too reads each text as if alone.
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
 *
 * A bidirectional top layer read at the `last` token is Keras' Bidirectional with
 * return_sequences false: the head reads the merge of the forward h at the last token and the
 * backward h after it read the whole text, which sits at the first token. That merge is no
 * single token's output, so the head is applied to it rather than to per-token logits.
 */
export function pooledLogits(
  model: LanguageModel,
  b: PaddedBatch,
  options: Pick<RunOptions, 'dropoutMasks' | 'inputWeights' | 'inputEmbeddings'> = {},
): tf.Tensor2D {
  const { pooling, layers } = classifierArchitecture(model);
  const weights = poolingWeights(b, pooling);
  const topLayer = layers[layers.length - 1]!;
  if (pooling === 'last' && isBidirectional(topLayer)) return bothEndsLogits(model, b, weights, topLayer.merge!, options);
  return tf.tidy(() => {
    const state = model.zeroState(b.batch);
    const logits = model.run(b.ids, b.batch, b.steps, state, { ...options, lengths: b.lengths }).logits!;
    const perToken = tf.reshape(logits, [b.batch, b.steps, logits.shape[1]]);
    return tf.sum(tf.mul(perToken, tf.tensor3d(weights, [b.batch, b.steps, 1])), 1) as tf.Tensor2D;
  });
}

function bothEndsLogits(
  model: LanguageModel,
  b: PaddedBatch,
  lastWeights: Float32Array,
  merge: NonNullable<ClassifierArchitecture['layers'][number]['merge']>,
  options: Pick<RunOptions, 'dropoutMasks' | 'inputWeights' | 'inputEmbeddings'>,
): tf.Tensor2D {
  const top = model.cells.length - 1;
  const backwardH = `${BACKWARD_PREFIX}h`;
  const firstWeights = new Float32Array(b.batch * b.steps);
  for (let i = 0; i < b.batch; i++) firstWeights[i * b.steps] = 1;
  return tf.tidy(() => {
    const r = model.run(b.ids, b.batch, b.steps, model.zeroState(b.batch), {
      ...options,
      lengths: b.lengths,
      skipLogits: true,
      collect: (layer, c) => layer === top && (c === 'h' || c === backwardH),
    });
    const at = (h: tf.Tensor3D, w: Float32Array) => tf.sum(tf.mul(h, tf.tensor3d(w, [b.batch, b.steps, 1])), 1) as tf.Tensor2D;
    const pooled = mergeDirections(merge, at(r.internals[top]!.h!, lastWeights), at(r.internals[top]![backwardH]!, firstWeights));
    return tf.add(tf.matMul(pooled, model.weight('output/kernel')), model.weight('output/bias')) as tf.Tensor2D;
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
