import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import { CancelledError, NeuronLensError } from './errors';
import { StreamBatcher, disposeState, evaluateLoss } from './evaluate';
import type { LanguageModel, LayerState } from './languageModel';
import { NATS_PER_BIT, crossEntropy } from './loss';
import { Random } from './random';
import { sequenceGradients, supportsSequenceGradients } from './training/sequenceBackprop';

export interface TrainOptions {
  steps: number;
  seqLen: number;
  batch: number;
  learningRate: number;
  /** Gradients are rescaled so their global L2 norm is at most this. */
  clipNorm: number;
  seed: number;
  /** Validation loss is measured every this many steps (and at the end). */
  evalEvery: number;
  /** Validation uses at most this many tokens, so evaluation stays cheap on big corpora. */
  maxValidationTokens: number;
  /** `onCheckpoint` is called every this many steps (and at the end, and on cancel). */
  checkpointEvery: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (c: TrainCheckpoint) => Promise<void>;
  /** Continue a run: the step reached and the optimizer's saved state. */
  resume?: { step: number; optimizerWeights: NamedTensor[]; history: HistoryPoint[] };
}

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'signal' | 'onProgress' | 'onCheckpoint' | 'resume'> = {
  steps: 1000,
  seqLen: 32,
  batch: 32,
  learningRate: 1e-2,
  clipNorm: 5,
  seed: 1,
  evalEvery: 100,
  maxValidationTokens: 20_000,
  checkpointEvery: 200,
};

export interface HistoryPoint {
  step: number;
  /** Training loss in bits per token, averaged since the previous point. */
  trainBits: number;
  validationBits?: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  /** Loss of this step, bits per token. */
  trainBits: number;
  /** Latest validation loss, bits per token (bits per char for char models). */
  validationBits?: number;
  /** 2^validationBits: tokens the model is as unsure as a uniform choice among. */
  validationPerplexity?: number;
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface TrainCheckpoint {
  step: number;
  history: HistoryPoint[];
  optimizerWeights: NamedTensor[];
  reason: 'interval' | 'final' | 'cancelled' | 'diverged';
  elapsedMs: number;
  tokensPerSecond: number;
}

export interface TrainResult {
  steps: number;
  cancelled: boolean;
  history: HistoryPoint[];
  finalValidationBits: number;
  elapsedMs: number;
  tokensPerSecond: number;
}

export interface TrainingData {
  train: Int32Array;
  validation: Int32Array;
}

/** Dropout masks drawn from a generator seeded by (seed, step), so resumed runs match. */
export function dropoutMaskFactory(rate: number, seed: number, step: number) {
  if (rate <= 0) return undefined;
  const rng = new Random(seed * 1_000_003 + step);
  const keep = 1 / (1 - rate);
  return (_site: number, rows: number, width: number): tf.Tensor2D => {
    const m = new Float32Array(rows * width);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < rate ? 0 : keep;
    return tf.tensor2d(m, [rows, width]);
  };
}

export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Truncated back-propagation through time with Adam, gradient-norm clipping and optional dropout.
 * State is carried across windows of each stream and reset at the start of every epoch. A
 * non-finite loss or gradient stops the run before the bad update is applied, after handing the
 * last good weights to onCheckpoint.
 */
export async function trainLanguageModel(
  model: LanguageModel,
  data: TrainingData,
  partial: Partial<TrainOptions> = {},
): Promise<TrainResult> {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...partial };
  const batch = Math.max(1, Math.min(o.batch, Math.floor((data.train.length - 1) / (o.seqLen + 1))));
  if (data.train.length < o.seqLen + 2) {
    throw new NeuronLensError(`The training text is too short: ${data.train.length} tokens, need at least ${o.seqLen + 2}`);
  }
  const batcher = new StreamBatcher(data.train, batch, o.seqLen);
  const optimizer = tf.train.adam(o.learningRate);
  const history: HistoryPoint[] = [...(o.resume?.history ?? [])];
  const startStep = o.resume?.step ?? 0;
  if (o.resume) await optimizer.setWeights(o.resume.optimizerWeights);
  const variables = model.trainableVariables;
  // Hand-written BPTT where the model allows it (no tape, whole-sequence products); autodiff otherwise.
  const handWritten = supportsSequenceGradients(model);
  const started = performance.now();
  let state: LayerState[] = model.zeroState(batch);
  let validationBits = history.length ? history[history.length - 1]!.validationBits : undefined;
  let bitsSincePoint = 0;
  let stepsSincePoint = 0;
  let step = startStep;

  const checkpoint = async (reason: TrainCheckpoint['reason']): Promise<void> => {
    if (!o.onCheckpoint) return;
    const optimizerWeights = await optimizer.getWeights();
    const { elapsedMs, tokensPerSecond } = progress(Number.NaN);
    try {
      await o.onCheckpoint({ step, history: [...history], optimizerWeights, reason, elapsedMs, tokensPerSecond });
    } finally {
      // getWeights() makes a fresh `iter` scalar each call; the moments are the optimizer's own variables.
      for (const w of optimizerWeights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    }
  };
  const validate = async (): Promise<number> => {
    const nats = await evaluateLoss(model, data.validation, { maxTokens: o.maxValidationTokens, seqLen: o.seqLen, signal: o.signal });
    return nats / NATS_PER_BIT;
  };

  try {
    while (step < o.steps) {
      if (o.signal?.aborted) {
        await checkpoint('cancelled');
        return finish(true);
      }
      const window = step % batcher.windowsPerEpoch;
      if (window === 0 && step !== startStep) {
        disposeState(state);
        state = model.zeroState(batch);
      }
      const { inputs, labels } = batcher.window(window);
      const masks = dropoutMaskFactory(model.architecture.dropout, o.seed, step);
      let nextState: LayerState[] = [];
      let value: tf.Scalar;
      let grads: tf.NamedTensorMap;
      if (handWritten) {
        ({
          loss: value,
          grads,
          state: nextState,
        } = sequenceGradients(model, inputs, labels, batch, o.seqLen, state, { dropoutMasks: masks }));
      } else {
        ({ value, grads } = tf.variableGrads(() => {
          const r = model.run(inputs, batch, o.seqLen, state, { dropoutMasks: masks });
          nextState = r.state.map((l) => l.map((t) => tf.keep(t)));
          return crossEntropy(r.logits!, labels);
        }, variables));
      }
      // One read for both numbers: each read waits for the backend.
      const lossAndNorm = tf.tidy(() => tf.stack([value, globalNorm(grads)]));
      const [lossNats, gradNorm] = (await lossAndNorm.data()) as unknown as [number, number];
      lossAndNorm.dispose();
      value.dispose();
      if (!Number.isFinite(lossNats) || !Number.isFinite(gradNorm)) {
        tf.dispose(grads);
        disposeState(nextState);
        await checkpoint('diverged');
        throw new NeuronLensError(
          `Training diverged at step ${step + 1}: the loss became ${Number.isFinite(lossNats) ? 'finite but the gradient ' + gradNorm : lossNats}. ` +
            'The last good weights were kept; try a lower learning rate.',
          'diverged',
        );
      }
      const scale = gradNorm > o.clipNorm ? o.clipNorm / gradNorm : 1;
      const clipped = scale < 1 ? tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]))) : grads;
      optimizer.applyGradients(clipped as Parameters<typeof optimizer.applyGradients>[0]);
      tf.dispose(grads);
      if (clipped !== grads) tf.dispose(clipped);
      disposeState(state);
      state = nextState;
      step++;

      const trainBits = lossNats / NATS_PER_BIT;
      bitsSincePoint += trainBits;
      stepsSincePoint++;
      const isLast = step === o.steps;
      if (step % o.evalEvery === 0 || isLast) {
        validationBits = await validate();
        history.push({ step, trainBits: bitsSincePoint / stepsSincePoint, validationBits });
        bitsSincePoint = 0;
        stepsSincePoint = 0;
      }
      o.onProgress?.(progress(trainBits));
      if (step % o.checkpointEvery === 0 && !isLast) await checkpoint('interval');
      // Let abort events and I/O run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await checkpoint('final');
    return finish(false);
  } catch (e) {
    if (e instanceof CancelledError) {
      await checkpoint('cancelled');
      return finish(true);
    }
    throw e;
  } finally {
    disposeState(state);
    optimizer.dispose();
  }

  function progress(trainBits: number): TrainProgress {
    const elapsedMs = performance.now() - started;
    return {
      step,
      totalSteps: o.steps,
      trainBits,
      validationBits,
      validationPerplexity: validationBits === undefined ? undefined : 2 ** validationBits,
      tokensPerSecond: ((step - startStep) * batch * o.seqLen) / (elapsedMs / 1000),
      elapsedMs,
    };
  }

  function finish(cancelled: boolean): TrainResult {
    const p = progress(Number.NaN);
    return {
      steps: step,
      cancelled,
      history,
      finalValidationBits: validationBits ?? Number.NaN,
      elapsedMs: p.elapsedMs,
      tokensPerSecond: p.tokensPerSecond,
    };
  }
}
