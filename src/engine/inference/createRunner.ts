import type { LanguageModel } from '../languageModel';
import { ArrayRunner } from './arrayRunner';
import type { StreamingRunner } from './streamingRunner';

/** The runner the editor and the recorder use for a model. */
export function createStreamingRunner(model: LanguageModel): StreamingRunner {
  return new ArrayRunner(model);
}
