import type { LanguageModel } from '../languageModel';
import { ArrayRunner } from './arrayRunner';
import type { StreamingRunner } from './streamingRunner';
import { TfjsRunner } from './tfjsRunner';

/**
 * The runner the editor and the recorder use for a model. The array runner steps all layers
 * token by token, which a bidirectional layer cannot do (its backward cell starts at the last
 * token), so such a model runs on its tfjs ops, a whole text per call.
 */
export function createStreamingRunner(model: LanguageModel): StreamingRunner {
  return model.causal ? new ArrayRunner(model) : new TfjsRunner(model);
}
