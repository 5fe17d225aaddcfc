import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeArchitecture } from './architecture';
import type { CellKind } from './cells/recurrentCell';
import { type Corpus, loadCorpus } from './corpus';
import { NeuronLensError } from './errors';
import { LanguageModel } from './languageModel';
import { unigramEntropy } from './loss';
import { type LoadedModel, MODEL_FILE, type TrainingMetadata, loadModel, saveModel } from './modelFolder';
import { ModelTokenizer } from './modelTokenizer';
import { type TokenLevel, tokenize } from './tokenizer';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions, type TrainResult, trainLanguageModel } from './trainer';
import { DEFAULT_MAX_SNAPSHOTS, saveSnapshot, thinSnapshots } from './trainingSnapshots';
import { Vocabulary } from './vocabulary';

export interface TrainingRunOptions extends Partial<Omit<TrainOptions, 'onCheckpoint' | 'resume'>> {
  corpus: string | Corpus;
  cell?: CellKind;
  level?: TokenLevel;
  hiddenSize?: number;
  numLayers?: number;
  embeddingSize?: number;
  dropout?: number;
  /** Share of the corpus (its end) held out for validation. */
  validationFraction?: number;
  minCount?: number;
  maxVocab?: number;
  /** Folder for checkpoints and the final model. */
  out?: string;
  /** Continue from the checkpoint in `out` instead of starting afresh. */
  resume?: boolean;
  backend?: string;
  /**
   * Light snapshots (weights only) into `out/snapshots/` every this many steps, plus one of the
   * initial weights and one at the end; 0 turns them off. Default: the checkpoint interval.
   */
  snapshotEvery?: number;
  /** At most this many snapshots are kept, thinned evenly (first and last kept). Default 20. */
  maxSnapshots?: number;
}

export interface TrainingRunResult {
  loaded: LoadedModel;
  result: TrainResult;
  unigramEntropyBits: number;
  trainTokens: number;
  validationTokens: number;
}

export const DEFAULT_RUN = { cell: 'lstm' as CellKind, level: 'char' as TokenLevel, hiddenSize: 128, numLayers: 1, steps: 300 };

/** Corpus → tokenizer → model → training with checkpoints in `out` → the trained model. */
export async function runTraining(o: TrainingRunOptions): Promise<TrainingRunResult> {
  const corpus = typeof o.corpus === 'string' ? loadCorpus(o.corpus) : o.corpus;
  const fraction = o.validationFraction ?? 0.05;
  if (!(fraction > 0 && fraction < 0.5)) throw new NeuronLensError('The validation fraction must be between 0 and 0.5');

  let model: LanguageModel;
  let tokenizer: ModelTokenizer;
  let resume: TrainOptions['resume'];
  const checkpointExists = o.out !== undefined && fs.existsSync(path.join(o.out, MODEL_FILE));
  if (o.resume && checkpointExists) {
    const previous = await loadModel(o.out!);
    if (!previous.training || !previous.optimizerWeights) {
      previous.model.dispose();
      for (const w of previous.optimizerWeights ?? []) w.tensor.dispose();
      throw new NeuronLensError(`${o.out} holds a model but no training checkpoint to resume from`);
    }
    model = previous.model;
    tokenizer = previous.tokenizer;
    resume = { step: previous.training.steps, optimizerWeights: previous.optimizerWeights, history: previous.training.history };
  } else {
    if (o.resume) throw new NeuronLensError(`Nothing to resume: ${o.out ?? '(no --out folder)'} has no ${MODEL_FILE}`);
    const level = o.level ?? DEFAULT_RUN.level;
    const texts = tokenize(corpus.text, level).map((t) => t.text);
    const trainPart = texts.slice(0, Math.floor(texts.length * (1 - fraction)));
    const vocabulary = Vocabulary.build(trainPart, {
      minCount: o.minCount ?? (level === 'word' ? 2 : 1),
      maxSize: o.maxVocab ?? (level === 'word' ? 10_000 : 512),
    });
    tokenizer = new ModelTokenizer(level, vocabulary);
    const architecture = makeArchitecture({
      cell: o.cell ?? DEFAULT_RUN.cell,
      level,
      vocabSize: vocabulary.size,
      hiddenSize: o.hiddenSize ?? DEFAULT_RUN.hiddenSize,
      numLayers: o.numLayers ?? DEFAULT_RUN.numLayers,
      embeddingSize: o.embeddingSize,
      dropout: o.dropout ?? 0,
    });
    model = LanguageModel.initialize(architecture, o.seed ?? DEFAULT_TRAIN_OPTIONS.seed);
  }

  const { ids } = tokenizer.encode(corpus.text);
  const split = Math.floor(ids.length * (1 - fraction));
  const data = { train: ids.subarray(0, split), validation: ids.subarray(split) };
  if (!resume) model.initOutputBiasFromCounts(data.train);
  const validationSample = data.validation.subarray(0, o.maxValidationTokens ?? DEFAULT_TRAIN_OPTIONS.maxValidationTokens);
  const unigramEntropyBits = unigramEntropy(validationSample);
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, steps: DEFAULT_RUN.steps, ...stripUndefined(o), resume } as TrainOptions;

  const metadata = (
    step: number,
    history: TrainingMetadata['history'],
    completed: boolean,
    extra: Partial<TrainingMetadata> = {},
  ): TrainingMetadata => ({
    corpus: corpus.name,
    steps: step,
    targetSteps: options.steps,
    completed,
    seqLen: options.seqLen,
    batch: options.batch,
    learningRate: options.learningRate,
    clipNorm: options.clipNorm,
    seed: options.seed,
    unigramEntropyBits,
    validationBits: history.length ? history[history.length - 1]!.validationBits : undefined,
    backend: o.backend,
    history,
    ...extra,
  });

  const snapshotEvery = o.out ? (o.snapshotEvery ?? options.checkpointEvery) : 0;
  if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 0)
    throw new NeuronLensError(`snapshotEvery must be a whole number of steps (0 = off), not ${snapshotEvery}`);
  const maxSnapshots = o.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS;
  thinSnapshots([], maxSnapshots);
  const checkpointEvery = options.checkpointEvery;

  try {
    if (snapshotEvery > 0 && !resume) await saveSnapshot(o.out!, model, 0, { maxSnapshots });
    const result = await trainLanguageModel(model, data, {
      ...options,
      // The trainer calls back at every multiple of either interval; each kind of save picks its own.
      checkpointEvery: snapshotEvery > 0 ? gcd(checkpointEvery, snapshotEvery) : checkpointEvery,
      onCheckpoint: o.out
        ? async (c) => {
            const interval = c.reason === 'interval';
            if (!interval || c.step % checkpointEvery === 0) {
              await saveModel(o.out!, {
                model,
                tokenizer,
                training: metadata(c.step, c.history, c.reason === 'final', { elapsedMs: c.elapsedMs, tokensPerSecond: c.tokensPerSecond }),
                optimizerWeights: c.optimizerWeights,
              });
            }
            if (snapshotEvery > 0 && (!interval || c.step % snapshotEvery === 0)) {
              const last = c.history[c.history.length - 1];
              await saveSnapshot(o.out!, model, c.step, {
                maxSnapshots,
                validationBits: last?.step === c.step ? last.validationBits : undefined,
              });
            }
          }
        : undefined,
    });
    const training = metadata(result.steps, result.history, !result.cancelled, {
      tokensPerSecond: result.tokensPerSecond,
      elapsedMs: result.elapsedMs,
    });
    return {
      loaded: { model, tokenizer, training, dir: o.out },
      result,
      unigramEntropyBits,
      trainTokens: data.train.length,
      validationTokens: data.validation.length,
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const w of resume?.optimizerWeights ?? []) w.tensor.dispose();
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
