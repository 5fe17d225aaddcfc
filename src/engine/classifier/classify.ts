import { NeuronLensError, throwIfAborted } from '../errors';
import type { LanguageModel } from '../languageModel';
import type { ModelTokenizer } from '../modelTokenizer';
import { type RecordOptions, type Recording, recordActivations } from '../recorder';
import type { Token } from '../tokenizer';
import { type ClassificationReport, argMax, classificationReport } from './classifierMetrics';
import { classProbabilities, classifierArchitecture, encodeForClassifier } from './classifierBatch';
import { predictExamples } from './classifierTraining';
import { type LabelledExample, encodeLabels } from './labelledData';

export interface ClassProbability {
  label: string;
  probability: number;
}

export interface Classification {
  /** One per class, in the model's class order. */
  probabilities: ClassProbability[];
  predicted: string;
  tokens: Token[];
  /** The model reads a text's first maxTokens tokens; this many of `tokens` were read. */
  classifiedTokens: number;
  /** Per-token activations of the whole text (for highlighting), when asked for. */
  recording?: Recording;
}

export interface ClassifyOptions {
  /** Also record the body's internals over the text (the same recording a language model gives). */
  record?: RecordOptions;
  signal?: AbortSignal;
}

type Loaded = { model: LanguageModel; tokenizer: ModelTokenizer };

/** Class probabilities of a text (a file, a selection) and, optionally, its per-token activations. */
export async function classifyText(loaded: Loaded, text: string, options: ClassifyOptions = {}): Promise<Classification> {
  const arch = classifierArchitecture(loaded.model);
  if (text.trim().length === 0) throw new NeuronLensError('The text is empty: there is nothing to classify');
  const tokens = loaded.tokenizer.tokenize(text);
  const ids = encodeForClassifier(loaded.tokenizer, text, arch.maxTokens);
  throwIfAborted(options.signal, 'Classification');
  const probs = classProbabilities(loaded.model, [ids]);
  const probabilities = arch.classes.map((label, i) => ({ label, probability: probs[i]! }));
  const recording = options.record ? await recordActivations(loaded, text, { ...options.record, signal: options.signal }) : undefined;
  return { probabilities, predicted: arch.classes[argMax(probs)]!, tokens, classifiedTokens: ids.length, recording };
}

/** Scores a classifier on labelled examples; a label outside the model's classes is an error naming its source. */
export async function evaluateClassifier(
  loaded: Loaded,
  examples: readonly LabelledExample[],
  signal?: AbortSignal,
): Promise<ClassificationReport> {
  const arch = classifierArchitecture(loaded.model);
  if (examples.length === 0) throw new NeuronLensError('There are no labelled examples to evaluate on');
  const labels = encodeLabels(examples, arch.classes);
  const ids = examples.map((e) => encodeForClassifier(loaded.tokenizer, e.text, arch.maxTokens));
  return classificationReport(labels, (await predictExamples(loaded.model, { ids, labels }, { signal })).predicted, arch.classes);
}
