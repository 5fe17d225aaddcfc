import type { ModelSummary } from '../shared/modelSummary';
import type { RecordingModel } from './documentSession';
import { createStreamingRunner } from './inference/createRunner';
import type { StreamingRunner } from './inference/streamingRunner';
import type { LanguageModel } from './languageModel';
import type { LoadedModel } from './modelFolder';
import { summarizeModel } from './modelSummary';
import type { ModelTokenizer } from './modelTokenizer';

/**
 * The model the worker analyses with, under an id that the host compares to drop answers computed
 * with a model that is no longer active. Owns the weights, the optimizer state kept for saving a
 * resumable copy, and the streaming runner (built on first use: it may copy the weights).
 */
export class ActiveModel implements RecordingModel {
  private streaming: StreamingRunner | undefined;

  constructor(
    readonly id: number,
    readonly loaded: LoadedModel,
  ) {}

  get model(): LanguageModel {
    return this.loaded.model;
  }

  get tokenizer(): ModelTokenizer {
    return this.loaded.tokenizer;
  }

  get runner(): StreamingRunner {
    this.streaming ??= createStreamingRunner(this.loaded.model);
    return this.streaming;
  }

  summary(): ModelSummary & { modelId: number } {
    return { ...summarizeModel(this.loaded), modelId: this.id };
  }

  dispose(): void {
    this.streaming?.dispose();
    this.streaming = undefined;
    this.loaded.model.dispose();
    for (const w of this.loaded.optimizerWeights ?? []) w.tensor.dispose();
  }
}
