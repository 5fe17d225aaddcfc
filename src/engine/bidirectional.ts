import * as tf from '@tensorflow/tfjs-core';
import type { DirectionMerge } from './architecture';
import type { ComponentInfo } from './cells/recurrentCell';
import { NeuronLensError } from './errors';

/**
 * Bidirectional layers (imported from Keras' Bidirectional wrapper): a forward and a backward cell
 * of the same kind and size over the same input. The backward cell reads the tokens right to left
 * from a zero state and its values are stored at the token they were computed at, so position t
 * holds its state after reading tokens T−1…t (Keras' reversed backward sequence).
 */

/** The backward cell's components are its cell's, under ids `backward/h`, `backward/c`… */
export const BACKWARD_PREFIX = 'backward/';

export function backwardComponents(forward: readonly ComponentInfo[]): ComponentInfo[] {
  return forward.map((c) => ({
    id: `${BACKWARD_PREFIX}${c.id}`,
    label: `backward ${c.label}`,
    // `backward-h`, `backward-forget`…: names that need no slash on a command line or in settings.
    aliases: [`backward-${c.id}`, ...c.aliases.map((a) => `backward-${a}`)],
    range: c.range,
  }));
}

/** What the layer above (or the head) reads at each token: Keras' merge of the two directions' h. */
export function mergeDirections(merge: DirectionMerge, forward: tf.Tensor2D, backward: tf.Tensor2D): tf.Tensor2D {
  switch (merge) {
    case 'concat':
      return tf.concat([forward, backward], 1);
    case 'sum':
      return tf.add(forward, backward);
    case 'ave':
      return tf.div(tf.add(forward, backward), 2);
    case 'mul':
      return tf.mul(forward, backward);
  }
}

/**
 * The message for work that needs a causal model (values at token t from tokens ≤ t only):
 * continuing from a state, reading a text in pieces, training by backpropagation through time.
 */
export function notCausalError(what: string): NeuronLensError {
  return new NeuronLensError(
    `${what} is not supported for a model with a bidirectional layer: its backward direction reads every token after each position, so the model reads a text only as a whole`,
    'invalid-model',
  );
}
