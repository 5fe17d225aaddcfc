import * as tf from '@tensorflow/tfjs-core';
import type { WordVectors } from '../embeddings/wordVectors';
import { CancelledError, NeuronLensError, throwIfAborted } from '../errors';
import { notCausalError } from '../bidirectional';
import type { LanguageModel } from '../languageModel';
import { NATS_PER_BIT, crossEntropy } from '../loss';
import { Random } from '../random';
import { dropoutMaskFactory, globalNorm } from '../trainer';
import type { Vocabulary } from '../vocabulary';
import { type ClassificationReport, argMax, classificationReport } from './classifierMetrics';
import { classifierArchitecture, padBatch, pooledLogits } from './classifierBatch';
import { shuffle } from './labelledData';

/** Texts already tokenized, encoded and cut to the model's maxTokens, with their class ids. */
export interface EncodedExamples {
  ids: Int32Array[];
  labels: Int32Array;
}

export interface ClassifierTrainOptions {
  epochs: number;
  batch: number;
  learningRate: number;
  /** Gradients are rescaled so their global L2 norm is at most this. */
  clipNorm: number;
  seed: number;
  /** Keep the embedding as it is (e.g. pre-trained word vectors) and train the rest. */
  freezeEmbedding: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ClassifierProgress) => void;
  /** After every epoch, with its scores. */
  onEpoch?: (e: EpochScores) => void;
}

export const DEFAULT_CLASSIFIER_TRAIN_OPTIONS: Omit<ClassifierTrainOptions, 'signal' | 'onProgress' | 'onEpoch'> = {
  epochs: 3,
  batch: 32,
  learningRate: 5e-3,
  clipNorm: 5,
  seed: 1,
  freezeEmbedding: false,
};

export interface ClassifierProgress {
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  /** Cross-entropy of this batch, nats per example. */
  loss: number;
  examplesPerSecond: number;
  elapsedMs: number;
}

export interface EpochScores {
  epoch: number;
  step: number;
  /** Mean cross-entropy over the epoch's batches, nats per example. */
  trainLoss: number;
  trainAccuracy: number;
  validationLoss?: number;
  validationAccuracy?: number;
}

export interface ClassifierTrainResult {
  epochs: number;
  steps: number;
  cancelled: boolean;
  history: EpochScores[];
  /** Scores on the validation examples with the final weights (absent without validation data or when cancelled). */
  validation?: ClassificationReport;
  elapsedMs: number;
  examplesPerSecond: number;
}

/**
 * Batches of similar length, so little of each batch is padding: the examples are shuffled, cut
 * into pools of 20 batches, each pool sorted by length and cut into batches, and the batches
 * shuffled again so no epoch runs short-to-long.
 */
export function lengthBucketedBatches(lengths: ArrayLike<number>, batch: number, rng: Random): number[][] {
  const order = shuffle(
    Array.from({ length: lengths.length }, (_, i) => i),
    rng,
  );
  const pool = batch * 20;
  const batches: number[][] = [];
  for (let p = 0; p < order.length; p += pool) {
    const sorted = order.slice(p, p + pool).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let i = 0; i < sorted.length; i += batch) batches.push(sorted.slice(i, i + batch));
  }
  return shuffle(batches, rng);
}

/**
 * Mean loss (nats) and predicted class ids of examples, in batches sorted by length; no
 * gradients. Yields between batches so a cancel is seen (it throws CancelledError).
 */
export async function predictExamples(
  model: LanguageModel,
  data: EncodedExamples,
  options: { batch?: number; signal?: AbortSignal } = {},
): Promise<{ loss: number; predicted: Int32Array }> {
  const batch = options.batch ?? 64;
  const predicted = new Int32Array(data.ids.length);
  const order = Array.from({ length: data.ids.length }, (_, i) => i).sort((a, b) => data.ids[a]!.length - data.ids[b]!.length);
  let lossSum = 0;
  for (let start = 0; start < order.length; start += batch) {
    throwIfAborted(options.signal, 'Evaluation');
    const members = order.slice(start, start + batch);
    const logits = pooledLogits(model, padBatch(members.map((i) => data.ids[i]!)));
    const loss = crossEntropy(
      logits,
      Int32Array.from(members, (i) => data.labels[i]!),
    );
    lossSum += loss.dataSync()[0]! * members.length;
    const values = logits.dataSync();
    const classes = logits.shape[1];
    members.forEach((i, r) => (predicted[i] = argMax(values.subarray(r * classes, (r + 1) * classes))));
    tf.dispose([logits, loss]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { loss: order.length ? lossSum / order.length : Number.NaN, predicted };
}

/**
 * Mini-batch training with Adam on softmax cross-entropy over the pooled logits, with gradient
 * clipping and dropout as for language models. A non-finite loss or gradient stops the run before
 * the bad update is applied (the model keeps its last good weights). Cancelling keeps the weights
 * reached and reports them as a cancelled run.
 */
export async function trainClassifier(
  model: LanguageModel,
  data: { train: EncodedExamples; validation?: EncodedExamples },
  partial: Partial<ClassifierTrainOptions> = {},
): Promise<ClassifierTrainResult> {
  const o: ClassifierTrainOptions = { ...DEFAULT_CLASSIFIER_TRAIN_OPTIONS, ...partial };
  const arch = classifierArchitecture(model);
  // Only imported models have bidirectional layers; their weights come from Keras' training.
  if (!model.causal) throw notCausalError('Training');
  if (data.train.ids.length === 0) throw new NeuronLensError('There are no training examples');
  if (o.freezeEmbedding && arch.embeddingSize === 0)
    throw new NeuronLensError('Cannot freeze the embedding of a one-hot model (it has none)');
  const variables = [...model.weights.entries()].filter(([name]) => !(o.freezeEmbedding && name === 'embedding')).map(([, v]) => v);
  const lengths = data.train.ids.map((s) => s.length);
  const rng = new Random(o.seed);
  const stepsPerEpoch = Math.ceil(data.train.ids.length / o.batch);
  const totalSteps = stepsPerEpoch * o.epochs;
  const optimizer = tf.train.adam(o.learningRate);
  const history: EpochScores[] = [];
  const started = performance.now();
  let step = 0;
  let examples = 0;
  let epoch = 0;
  let cancelled = false;
  let lastPredicted: Int32Array | undefined;
  const elapsed = (): number => performance.now() - started;
  try {
    training: for (; epoch < o.epochs; epoch++) {
      let lossSum = 0;
      let right = 0;
      let seen = 0;
      for (const members of lengthBucketedBatches(lengths, o.batch, rng)) {
        if (o.signal?.aborted) {
          cancelled = true;
          break training;
        }
        const padded = padBatch(members.map((i) => data.train.ids[i]!));
        const labels = Int32Array.from(members, (i) => data.train.labels[i]!);
        const masks = dropoutMaskFactory(arch.dropout, o.seed, step);
        let logits: tf.Tensor2D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const l = pooledLogits(model, padded, { dropoutMasks: masks });
          logits = tf.keep(l);
          return crossEntropy(l, labels);
        }, variables);
        const norm = globalNorm(grads);
        const [loss, gradNorm] = [(await value.data())[0]!, (await norm.data())[0]!];
        const values = await logits!.data();
        tf.dispose([value, norm, logits!]);
        if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
          tf.dispose(grads);
          throw new NeuronLensError(
            `Classifier training diverged at step ${step + 1}: the ${Number.isFinite(loss) ? 'gradient' : 'loss'} became ${Number.isFinite(loss) ? gradNorm : loss}. ` +
              'The last good weights were kept; try a lower learning rate.',
            'diverged',
          );
        }
        const scale = gradNorm > o.clipNorm ? o.clipNorm / gradNorm : 1;
        const clipped = scale < 1 ? tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]))) : grads;
        optimizer.applyGradients(clipped as Parameters<typeof optimizer.applyGradients>[0]);
        tf.dispose(grads);
        if (clipped !== grads) tf.dispose(clipped);
        const classes = arch.classes.length;
        members.forEach((_, r) => {
          if (argMax(values.subarray(r * classes, (r + 1) * classes)) === labels[r]) right++;
        });
        lossSum += loss * members.length;
        seen += members.length;
        examples += members.length;
        step++;
        o.onProgress?.({
          epoch: epoch + 1,
          totalEpochs: o.epochs,
          step,
          totalSteps,
          loss,
          examplesPerSecond: examples / (elapsed() / 1000),
          elapsedMs: elapsed(),
        });
        // Let abort events and I/O run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const scores: EpochScores = { epoch: epoch + 1, step, trainLoss: lossSum / seen, trainAccuracy: right / seen };
      if (data.validation?.ids.length) {
        let v: Awaited<ReturnType<typeof predictExamples>>;
        try {
          v = await predictExamples(model, data.validation, { signal: o.signal });
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          cancelled = true;
          break;
        }
        lastPredicted = v.predicted;
        scores.validationLoss = v.loss;
        scores.validationAccuracy = v.predicted.reduce((n, p, i) => n + (p === data.validation!.labels[i] ? 1 : 0), 0) / v.predicted.length;
      }
      history.push(scores);
      o.onEpoch?.(scores);
    }
  } finally {
    optimizer.dispose();
  }
  // The last epoch's evaluation scored the final weights; a cancel mid-epoch leaves none that did.
  const validation = !cancelled && lastPredicted ? classificationReport(data.validation!.labels, lastPredicted, arch.classes) : undefined;
  return {
    epochs: epoch,
    steps: step,
    cancelled,
    history,
    validation,
    elapsedMs: elapsed(),
    examplesPerSecond: examples / (elapsed() / 1000),
  };
}

/** Bits per example, for the model folder's training history (which counts loss in bits). */
export function natsToBits(nats: number): number {
  return nats / NATS_PER_BIT;
}

export interface EmbeddingInitReport {
  /** Vocabulary entries whose row came from the vectors (exactly, or by their lower-case form). */
  found: number;
  /** Vocabulary entries that got a small random row instead. */
  missing: number;
  /** A few of the missing entries, most frequent first, for the report. */
  missingExamples: string[];
}

/**
 * Copies pre-trained word vectors into the embedding. A token the vectors lack is looked up in
 * lower case (most published vectors are lower-cased); failing that its row is drawn from
 * N(0, σ²) with σ the vectors' own standard deviation over 10, so unknown words start near the
 * origin and do not outweigh known ones.
 */
export function initEmbeddingFromVectors(
  model: LanguageModel,
  vocabulary: Vocabulary,
  vectors: WordVectors,
  seed: number,
): EmbeddingInitReport {
  const arch = model.architecture;
  if (arch.embeddingSize !== vectors.dim) {
    throw new NeuronLensError(`The word vectors have ${vectors.dim} dimensions but the model's embedding has ${arch.embeddingSize}`);
  }
  const row = new Map<string, number>();
  vectors.words.forEach((w, i) => row.set(w, i));
  let sumSq = 0;
  for (const v of vectors.vectors) sumSq += v * v;
  const sigma = Math.sqrt(sumSq / Math.max(1, vectors.vectors.length)) / 10;
  const rng = new Random(seed);
  const dim = vectors.dim;
  const table = new Float32Array(vocabulary.size * dim);
  const missingExamples: string[] = [];
  let found = 0;
  vocabulary.tokens.forEach((token, id) => {
    const r = row.get(token) ?? row.get(token.toLowerCase());
    if (r !== undefined) {
      table.set(vectors.vectors.subarray(r * dim, (r + 1) * dim), id * dim);
      found++;
    } else {
      for (let d = 0; d < dim; d++) table[id * dim + d] = sigma * rng.normal();
      if (missingExamples.length < 10) missingExamples.push(token);
    }
  });
  const t = tf.tensor2d(table, [vocabulary.size, dim]);
  model.weight('embedding').assign(t);
  t.dispose();
  return { found, missing: vocabulary.size - found, missingExamples };
}
