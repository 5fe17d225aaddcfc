import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';
import { crossEntropy } from '../loss';
import { Random } from '../random';
import type { ImageClassifier } from './imageClassifier';
import { type ImageDataset, type ImageSplit, imageSize } from './imageDataset';
import { withDefaults } from './withDefaults';

export interface ImageTrainOptions {
  epochs: number;
  batch: number;
  learningRate: number;
  seed: number;
  /** Each training image is shifted by up to this many pixels in x and y (0: no augmentation). */
  shift: number;
  /** 'cosine': the learning rate falls from learningRate to 0 along a half cosine over the run; 'constant': it stays. */
  schedule: 'cosine' | 'constant';
  signal?: AbortSignal;
  onProgress?: (p: ImageTrainProgress) => void;
}

export const DEFAULT_IMAGE_TRAIN_OPTIONS: Omit<ImageTrainOptions, 'signal' | 'onProgress'> = {
  epochs: 10,
  batch: 64,
  learningRate: 1e-3,
  seed: 1,
  shift: 0,
  schedule: 'cosine',
};

/** The learning rate for step `step` (0-based) of `total`. */
export function scheduledLearningRate(o: Pick<ImageTrainOptions, 'learningRate' | 'schedule'>, step: number, total: number): number {
  if (o.schedule === 'constant' || total <= 1) return o.learningRate;
  return o.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / total));
}

export interface ImageTrainProgress {
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  /** Mean cross-entropy (nats) of this step's batch. */
  loss: number;
  /** Set at the end of each epoch. */
  testAccuracy?: number;
  elapsedMs: number;
}

export interface ImageEpochPoint {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
}

export interface ImageEvaluation {
  accuracy: number;
  loss: number;
  /** confusion[true class][predicted class] = count. */
  confusion: number[][];
  count: number;
}

export interface ImageTrainResult {
  epochs: number;
  steps: number;
  cancelled: boolean;
  history: ImageEpochPoint[];
  test: ImageEvaluation;
  elapsedMs: number;
  imagesPerSecond: number;
}

/** A batch of examples as a [n, h, w, c] tensor, optionally shifted (zero fill) for augmentation. */
function batchTensor(d: ImageDataset, indices: number[], shift: number, rng?: Random): tf.Tensor4D {
  const size = imageSize(d);
  const out = new Float32Array(indices.length * size);
  const { height: h, width: w, channels: c } = d;
  indices.forEach((j, i) => {
    const src = d.images.subarray(j * size, (j + 1) * size);
    const dx = shift > 0 && rng ? rng.int(2 * shift + 1) - shift : 0;
    const dy = shift > 0 && rng ? rng.int(2 * shift + 1) - shift : 0;
    if (dx === 0 && dy === 0) {
      out.set(src, i * size);
      return;
    }
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      const rowStart = Math.max(0, dx);
      const rowEnd = Math.min(w, w + dx);
      out.set(src.subarray(((y - dy) * w + rowStart - dx) * c, ((y - dy) * w + rowEnd - dx) * c), i * size + (y * w + rowStart) * c);
    }
  });
  return tf.tensor4d(out, [indices.length, h, w, c]);
}

/** Accuracy, mean loss and confusion matrix of a model on a dataset, in batches. */
export async function evaluateImageClassifier(
  model: ImageClassifier,
  d: ImageDataset,
  batch = 256,
  signal?: AbortSignal,
): Promise<ImageEvaluation> {
  const n = model.architecture.numClasses;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < d.count; start += batch) {
    if (signal?.aborted) break;
    const indices = Array.from({ length: Math.min(batch, d.count - start) }, (_, i) => start + i);
    const labels = d.labels.subarray(start, start + indices.length);
    const [predicted, loss] = tf.tidy(() => {
      const x = batchTensor(d, indices, 0);
      const logits = model.run(x).logits;
      return [tf.argMax(logits, 1), tf.mul(crossEntropy(logits, labels), indices.length)];
    });
    const p = (await predicted.data()) as Int32Array;
    lossSum += (await loss.data())[0]!;
    tf.dispose([predicted, loss]);
    p.forEach((guess, i) => {
      confusion[labels[i]!]![guess]!++;
      if (guess === labels[i]) correct++;
    });
  }
  return { accuracy: d.count ? correct / d.count : Number.NaN, loss: d.count ? lossSum / d.count : Number.NaN, confusion, count: d.count };
}

/**
 * Mini-batch Adam on softmax cross-entropy, reshuffling (seeded) every epoch. A non-finite loss
 * stops the run before the bad update is applied; cancellation stops between steps and keeps
 * the weights reached.
 */
export async function trainImageClassifier(
  model: ImageClassifier,
  data: ImageSplit,
  partial: Partial<ImageTrainOptions> = {},
): Promise<ImageTrainResult> {
  const o: ImageTrainOptions = withDefaults<ImageTrainOptions>(DEFAULT_IMAGE_TRAIN_OPTIONS, partial);
  const a = model.architecture;
  const { train, test } = data;
  if (train.height !== a.height || train.width !== a.width || train.channels !== a.channels)
    throw new NeuronLensError(
      `The images are ${train.height}×${train.width}×${train.channels}, the model takes ${a.height}×${a.width}×${a.channels}`,
    );
  if (train.count === 0) throw new NeuronLensError('There are no training images');
  if (train.classes.length !== a.numClasses)
    throw new NeuronLensError(`The data has ${train.classes.length} classes, the model ${a.numClasses}`);
  const rng = new Random(o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const batch = Math.min(o.batch, train.count);
  const stepsPerEpoch = Math.ceil(train.count / batch);
  const totalSteps = stepsPerEpoch * o.epochs;
  const history: ImageEpochPoint[] = [];
  const started = performance.now();
  let step = 0;
  let cancelled = false;
  try {
    for (let epoch = 1; epoch <= o.epochs && !cancelled; epoch++) {
      const order = Array.from({ length: train.count }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (o.signal?.aborted) {
          cancelled = true;
          break;
        }
        const indices = order.slice(s * batch, (s + 1) * batch);
        const labels = Int32Array.from(indices, (j) => train.labels[j]!);
        const x = batchTensor(train, indices, o.shift, rng);
        let predicted: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.run(x).logits;
          predicted = tf.keep(tf.argMax(logits, 1));
          return crossEntropy(logits, labels);
        }, model.trainableVariables);
        x.dispose();
        const loss = (await value.data())[0]!;
        const guesses = (await predicted!.data()) as Int32Array;
        tf.dispose([value, predicted!]);
        if (!Number.isFinite(loss)) {
          tf.dispose(grads);
          throw new NeuronLensError(
            `Training diverged at epoch ${epoch}, step ${step + 1}: the loss became ${loss}. The weights before this step were kept; try a lower learning rate.`,
            'diverged',
          );
        }
        // Adam reads its (protected) learningRate field on every update; this is how the schedule reaches it.
        (optimizer as unknown as { learningRate: number }).learningRate = scheduledLearningRate(o, step, totalSteps);
        optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
        tf.dispose(grads);
        step++;
        lossSum += loss * indices.length;
        guesses.forEach((g, i) => {
          if (g === labels[i]) correct++;
        });
        o.onProgress?.({ epoch, totalEpochs: o.epochs, step, totalSteps, loss, elapsedMs: performance.now() - started });
        // Let abort events and I/O run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (cancelled) break;
      const evaluation = await evaluateImageClassifier(model, test, 256, o.signal);
      history.push({ epoch, trainLoss: lossSum / train.count, trainAccuracy: correct / train.count, testAccuracy: evaluation.accuracy });
      o.onProgress?.({
        epoch,
        totalEpochs: o.epochs,
        step,
        totalSteps,
        loss: Number.NaN,
        testAccuracy: evaluation.accuracy,
        elapsedMs: performance.now() - started,
      });
    }
  } finally {
    optimizer.dispose();
  }
  const elapsedMs = performance.now() - started;
  return {
    epochs: history.length,
    steps: step,
    cancelled,
    history,
    test: await evaluateImageClassifier(model, test),
    elapsedMs,
    imagesPerSecond: (step * batch) / (elapsedMs / 1000),
  };
}
