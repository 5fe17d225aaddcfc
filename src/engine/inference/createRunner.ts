import type { LanguageModel } from '../languageModel';
import type { StreamingRunner } from './streamingRunner';
import { TfjsRunner } from './tfjsRunner';

/** The runner the editor and the recorder use for a model. */
export function createStreamingRunner(model: LanguageModel): StreamingRunner {
  return new TfjsRunner(model);
}
