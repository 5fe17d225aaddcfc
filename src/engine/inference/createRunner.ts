import type { LanguageModel } from '../languageModel';
import { ArrayRunner, arrayRunnerLimitation } from './arrayRunner';
import type { StreamingRunner } from './streamingRunner';
import { TfjsRunner } from './tfjsRunner';

/**
 * The runner the editor and the recorder use for a model: the array runner (token by token for
 * a causal model, a whole text layer by layer for one with a bidirectional layer) wherever it
 * implements the model, else the model's own tfjs ops.
 */
export function createStreamingRunner(model: LanguageModel): StreamingRunner {
  return arrayRunnerLimitation(model) === undefined ? new ArrayRunner(model) : new TfjsRunner(model);
}
