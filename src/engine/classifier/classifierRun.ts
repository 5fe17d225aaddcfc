import { type ClassifierPooling, DEFAULT_CLASSIFIER_MAX_TOKENS, DEFAULT_CLASSIFIER_POOLING, makeArchitecture } from '../architecture';
import type { CellKind } from '../cells/recurrentCell';
import { readWordVectors } from '../embeddings/wordVectors';
import { NeuronLensError } from '../errors';
import { LanguageModel } from '../languageModel';
import { type TrainingMetadata, saveModel } from '../modelFolder';
import { ModelTokenizer } from '../modelTokenizer';
import { type TokenLevel, tokenize } from '../tokenizer';
import { Vocabulary } from '../vocabulary';
import {
  type ClassifierProgress,
  type ClassifierTrainResult,
  DEFAULT_CLASSIFIER_TRAIN_OPTIONS,
  type EmbeddingInitReport,
  type EncodedExamples,
  type EpochScores,
  initEmbeddingFromVectors,
  natsToBits,
  trainClassifier,
} from './classifierTraining';
import { encodeForClassifier } from './classifierBatch';
import { type LabelledExample, SPAM_ASSASSIN, encodeLabels, readLabelledData, stratifiedSplit } from './labelledData';

/** Everything `train-classifier` can set; what is absent takes the DEFAULT_CLASSIFIER_RUN value. */
export interface ClassifierRunOptions {
  /** A CSV/TSV/JSONL file, a folder of class folders, or `spam-assassin`. */
  data: string;
  textColumn?: string;
  labelColumn?: string;
  cell?: CellKind;
  level?: TokenLevel;
  hiddenSize?: number;
  numLayers?: number;
  embeddingSize?: number;
  dropout?: number;
  pooling?: ClassifierPooling;
  maxTokens?: number;
  /** Vocabulary entries at most (`<unk>` included); rarer tokens map to `<unk>`. */
  maxVocabulary?: number;
  /** A word2vec/GloVe file to initialise the embedding from (its dimension sets the embedding size). */
  vectors?: string;
  freezeEmbedding?: boolean;
  /** Share of each class held out for validation. */
  validation?: number;
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  /** Save the trained model here. */
  out?: string;
  backend?: string;
  signal?: AbortSignal;
  onProgress?: (p: ClassifierProgress) => void;
  onEpoch?: (e: EpochScores) => void;
}

export const DEFAULT_CLASSIFIER_RUN = {
  data: SPAM_ASSASSIN,
  cell: 'lstm' as CellKind,
  level: 'word' as TokenLevel,
  hiddenSize: 64,
  embeddingSize: 64,
  pooling: DEFAULT_CLASSIFIER_POOLING,
  maxTokens: DEFAULT_CLASSIFIER_MAX_TOKENS,
  maxVocabulary: 20_000,
  validation: 0.2,
};

/** What a classifier folder's training metadata adds to a language model's. */
export interface ClassifierTrainingMetadata extends TrainingMetadata {
  task: 'classifier';
  epochs: number;
  trainExamples: number;
  validationExamples: number;
  validationAccuracy?: number;
  vectors?: string;
  freezeEmbedding: boolean;
}

export interface ClassifierRun {
  model: LanguageModel;
  tokenizer: ModelTokenizer;
  dataName: string;
  classes: string[];
  trainExamples: number;
  validationExamples: number;
  result: ClassifierTrainResult;
  /** How the word vectors covered the vocabulary, when they were used. */
  embedding?: EmbeddingInitReport;
}

function encodeExamples(tokenizer: ModelTokenizer, examples: LabelledExample[], classes: string[], maxTokens: number): EncodedExamples {
  return { ids: examples.map((e) => encodeForClassifier(tokenizer, e.text, maxTokens)), labels: encodeLabels(examples, classes) };
}

/**
 * Reads labelled data, splits it, builds the vocabulary from the training texts, trains a
 * classifier and saves it (when `out` is given). The caller owns the returned model.
 */
export async function runClassifierTraining(options: ClassifierRunOptions): Promise<ClassifierRun> {
  const o = { ...DEFAULT_CLASSIFIER_RUN, ...DEFAULT_CLASSIFIER_TRAIN_OPTIONS, ...stripUndefined(options) };
  const data = readLabelledData(o.data, { textColumn: o.textColumn, labelColumn: o.labelColumn });
  const split = stratifiedSplit(data.examples, o.validation, o.seed);
  if (split.train.length === 0) throw new NeuronLensError(`${o.data}: no examples are left for training`);
  const vectors = o.vectors ? readWordVectors(o.vectors) : undefined;
  const trainTokens = split.train.flatMap((e) => tokenizeHead(e.text, o.level, o.maxTokens));
  const vocabulary = Vocabulary.build(trainTokens, { maxSize: o.maxVocabulary });
  const tokenizer = new ModelTokenizer(o.level, vocabulary);
  const architecture = makeArchitecture({
    cell: o.cell,
    level: o.level,
    vocabSize: vocabulary.size,
    hiddenSize: o.hiddenSize,
    numLayers: o.numLayers,
    embeddingSize: vectors ? vectors.dim : o.embeddingSize,
    dropout: o.dropout,
    classifier: { classes: data.classes, pooling: o.pooling, maxTokens: o.maxTokens },
  });
  const model = LanguageModel.initialize(architecture, o.seed);
  try {
    const embedding = vectors ? initEmbeddingFromVectors(model, vocabulary, vectors, o.seed) : undefined;
    const result = await trainClassifier(
      model,
      {
        train: encodeExamples(tokenizer, split.train, data.classes, o.maxTokens),
        validation: encodeExamples(tokenizer, split.validation, data.classes, o.maxTokens),
      },
      { ...o, freezeEmbedding: o.freezeEmbedding ?? false },
    );
    const run: ClassifierRun = {
      model,
      tokenizer,
      dataName: data.name,
      classes: data.classes,
      trainExamples: split.train.length,
      validationExamples: split.validation.length,
      result,
      embedding,
    };
    if (o.out) await saveModel(o.out, { model, tokenizer, training: trainingMetadata(run, o) });
    return run;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function tokenizeHead(text: string, level: TokenLevel, maxTokens: number): string[] {
  return tokenize(text, level)
    .slice(0, maxTokens)
    .map((t) => t.text);
}

function trainingMetadata(
  run: ClassifierRun,
  o: typeof DEFAULT_CLASSIFIER_TRAIN_OPTIONS & ClassifierRunOptions,
): ClassifierTrainingMetadata {
  const r = run.result;
  return {
    task: 'classifier',
    corpus: run.dataName,
    steps: r.steps,
    targetSteps: Math.ceil(run.trainExamples / o.batch) * o.epochs,
    completed: !r.cancelled,
    seqLen: run.model.architecture.task === 'classifier' ? run.model.architecture.maxTokens : 0,
    batch: o.batch,
    learningRate: o.learningRate,
    clipNorm: o.clipNorm,
    seed: o.seed,
    // No validationBits: front ends read it as bits per token, and a classifier's loss is per example.
    elapsedMs: r.elapsedMs,
    backend: o.backend,
    history: r.history.map((h) => ({
      step: h.step,
      trainBits: natsToBits(h.trainLoss),
      ...(h.validationLoss === undefined ? {} : { validationBits: natsToBits(h.validationLoss) }),
    })),
    epochs: r.epochs,
    trainExamples: run.trainExamples,
    validationExamples: run.validationExamples,
    validationAccuracy: r.validation?.accuracy,
    vectors: o.vectors,
    freezeEmbedding: o.freezeEmbedding ?? false,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
