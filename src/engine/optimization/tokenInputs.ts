import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../languageModel';
import { inputGradients, supportsInputGradients } from '../training/inputGradients';
import type { Target } from './targets';

/**
 * What "a token's input" is for gradients: one-hot models read a distribution over the
 * vocabulary per position (a one-hot row is the token; its product with the kernel is the
 * kernel's row), embedding models read the embedding vector itself.
 */
export type InputSpace = 'one-hot' | 'embedding';

export function inputSpace(model: LanguageModel): InputSpace {
  return model.architecture.embeddingSize === 0 ? 'one-hot' : 'embedding';
}

/** [ids.length, width]: the one-hot rows or the embedding rows of a token sequence. */
export function tokenInputs(model: LanguageModel, ids: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const index = tf.tensor1d(ids, 'int32');
    return inputSpace(model) === 'one-hot'
      ? (tf.cast(tf.oneHot(index, model.vocabSize), 'float32') as tf.Tensor2D)
      : tf.gather(model.weight('embedding') as tf.Tensor2D, index);
  });
}

/**
 * The target as a differentiable function of continuous inputs, rows b·steps + t, each sequence
 * from a zero state; [batch].
 */
export function targetFromInputs(model: LanguageModel, target: Target, inputs: tf.Tensor2D, batch: number, steps: number): tf.Tensor1D {
  return tf.tidy(() => {
    const space = inputSpace(model);
    const r = model.run(new Int32Array(batch * steps), batch, steps, model.zeroState(batch), {
      inputWeights: space === 'one-hot' ? inputs : undefined,
      inputEmbeddings: space === 'embedding' ? inputs : undefined,
      collect: (l, c) => target.collect(l, c),
      skipLogits: !target.needsLogits,
    });
    return target.value(r, batch, steps);
  });
}

export interface TargetGradients {
  /** [batch]: the target of each sequence. */
  values: Float32Array;
  /** [batch·steps, width], rows b·steps + t: d target / d each token's input. */
  grad: tf.Tensor2D;
}

/**
 * The target of `batch` sequences of continuous inputs (rows b·steps + t, as tokenInputs gives
 * them) and its gradient with respect to those inputs: by the hand-written per-cell backward pass
 * where it handles the model and target (several times faster), else on the tape over
 * `targetFromInputs`. `autodiff` forces the tape (the reference the hand-written pass is tested against).
 */
export function targetGradients(
  model: LanguageModel,
  target: Target,
  inputs: tf.Tensor2D,
  batch: number,
  steps: number,
  autodiff = false,
): TargetGradients {
  if (!autodiff && supportsInputGradients(model, target.spec)) {
    const input = inputSpace(model) === 'one-hot' ? { weights: inputs } : { embeddings: inputs };
    const { values, dInput } = inputGradients(model, target.spec, input, batch, steps);
    return { values, grad: dInput };
  }
  const { value, grad } = tf.tidy(() =>
    tf.valueAndGrad((x: tf.Tensor2D) => targetFromInputs(model, target, x, batch, steps))(inputs, tf.ones([batch])),
  );
  const values = value.dataSync() as Float32Array;
  value.dispose();
  return { values, grad };
}
