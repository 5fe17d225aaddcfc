import { NeuronLensError } from '../errors';
import type { LanguageModel } from '../languageModel';
import type { Target } from './targets';
import { type InputSpace, inputSpace, targetGradients, tokenInputs } from './tokenInputs';

export interface GradientSaliency {
  space: InputSpace;
  /** The target on the real sequence (raw score, never a softmax). */
  targetValue: number;
  /** Per token: ‖∂target/∂input_t‖₂, how sensitive the target is to that token's input. */
  gradientNorm: Float32Array;
  /**
   * Per token: ∂target/∂input_t · input_t. For one-hot inputs this is the gradient entry of the
   * token actually present (the first-order effect of removing it, with zero input as reference).
   */
  gradientTimesInput: Float32Array;
  /** [tokens, width] row-major: the full gradient (vocabulary or embedding dimension). */
  gradient: Float32Array;
  width: number;
}

export interface GradientSaliencyOptions {
  /** Differentiate on the tape even where the hand-written pass handles the target (a reference for tests). */
  autodiff?: boolean;
}

/**
 * Simonyan-style saliency for text: one backward pass of the raw target with respect to every
 * token's input (see tokenInputs.ts for what the input is), reduced to one score per token.
 */
export function gradientSaliency(
  model: LanguageModel,
  target: Target,
  ids: Int32Array,
  options: GradientSaliencyOptions = {},
): GradientSaliency {
  if (ids.length === 0) throw new NeuronLensError('The text has no tokens: there is nothing to explain');
  const steps = ids.length;
  const x = tokenInputs(model, ids);
  const width = x.shape[1];
  try {
    const { values, grad } = targetGradients(model, target, x, 1, steps, options.autodiff);
    const gradient = grad.dataSync() as Float32Array;
    const input = x.dataSync();
    const targetValue = values[0]!;
    grad.dispose();
    const gradientNorm = new Float32Array(steps);
    const gradientTimesInput = new Float32Array(steps);
    for (let t = 0; t < steps; t++) {
      let sq = 0;
      let dot = 0;
      for (let j = 0; j < width; j++) {
        const g = gradient[t * width + j]!;
        sq += g * g;
        dot += g * input[t * width + j]!;
      }
      gradientNorm[t] = Math.sqrt(sq);
      gradientTimesInput[t] = dot;
    }
    return { space: inputSpace(model), targetValue, gradientNorm, gradientTimesInput, gradient, width };
  } finally {
    x.dispose();
  }
}
