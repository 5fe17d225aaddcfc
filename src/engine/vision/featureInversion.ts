import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../errors';
import { Random } from '../random';
import { type ImageClassifier, imageTensor } from './imageClassifier';
import { findImageLayer } from './imageArchitecture';
import { totalVariation } from './imageTransforms';
import { withDefaults } from './withDefaults';

export interface InvertOptions {
  steps: number;
  /** Adam's learning rate on the pixels. */
  learningRate: number;
  /** Weight of Σ x² (keeps pixels small where the features do not need them). */
  l2: number;
  /** Weight of the squared total variation (favours smooth images). */
  tv: number;
  range: [number, number];
  noise: number;
  seed: number;
  signal?: AbortSignal;
}

export const DEFAULT_INVERT_OPTIONS: Omit<InvertOptions, 'signal'> = {
  steps: 300,
  learningRate: 0.05,
  l2: 1e-4,
  tv: 1e-3,
  range: [0, 1],
  noise: 0.1,
  seed: 1,
};

export interface InvertResult {
  image: Float32Array;
  shape: [number, number, number];
  layer: string;
  /** ‖φ(x) − φ(x₀)‖ / ‖φ(x₀)‖ at the start (noise) and the end. */
  initialRelativeError: number;
  finalRelativeError: number;
  /** ‖φ(x₀)‖, the original's feature norm: the relative errors times this are the distances. */
  featureNorm: number;
  /** Adam steps taken: `settings.steps` unless stopped early. */
  steps: number;
  settings: Omit<InvertOptions, 'signal'>;
}

/**
 * Feature inversion (Mahendran & Vedaldi 2015, cs231n): from noise, find an image whose
 * features at `layer` (after the ReLU) match the original's, minimising
 * ‖φ(x) − φ(x₀)‖² / ‖φ(x₀)‖² + l2·Σx² + tv·TV(x) with Adam, pixels clipped to the data range.
 *
 * One step at a time, so the worker can yield to its event loop between steps (a cancel message
 * only arrives there) and report progress; `result()` is the image so far. Holds tensors until
 * `dispose()`.
 */
export class FeatureInversionRun {
  readonly settings: Omit<InvertOptions, 'signal'>;
  readonly initialRelativeError: number;
  private readonly goal: tf.Tensor;
  private readonly goalNorm2: number;
  private readonly x: tf.Variable;
  private readonly optimizer: tf.Optimizer;
  private taken = 0;

  constructor(
    private readonly model: ImageClassifier,
    image: Float32Array,
    readonly layer: string,
    partial: Partial<Omit<InvertOptions, 'signal'>> = {},
  ) {
    findImageLayer(model.architecture, layer);
    this.settings = withDefaults<Omit<InvertOptions, 'signal'>>(DEFAULT_INVERT_OPTIONS, partial);
    const { height, width, channels } = model.architecture;
    const { range, noise, seed, learningRate } = this.settings;
    const rng = new Random(seed);
    this.goal = tf.tidy(() => model.layer(imageTensor(model, image), layer, 'post'));
    this.goalNorm2 = tf.tidy(() => tf.sum(tf.square(this.goal)).dataSync()[0]!);
    const start = new Float32Array(height * width * channels);
    const mid = (range[0] + range[1]) / 2;
    for (let i = 0; i < start.length; i++) start[i] = mid + noise * rng.normal();
    const initial = tf.tidy(() => tf.clipByValue(tf.tensor4d(start, [1, height, width, channels]), range[0], range[1]));
    this.x = tf.variable(initial, true);
    initial.dispose();
    this.optimizer = tf.train.adam(learningRate);
    this.initialRelativeError = this.relativeError();
  }

  get steps(): number {
    return this.taken;
  }

  /** A layer whose features are all zero for the original has nothing to be relative to: the error is then absolute. */
  private get scale(): number {
    return this.goalNorm2 || 1;
  }

  private relativeError(): number {
    return tf.tidy(() =>
      Math.sqrt(
        tf.sum(tf.square(tf.sub(this.model.layer(this.x as tf.Tensor4D, this.layer, 'post'), this.goal))).dataSync()[0]! / this.scale,
      ),
    );
  }

  step(): void {
    const { l2, tv, range } = this.settings;
    const cost = this.optimizer.minimize(
      () =>
        tf.tidy(() => {
          const v = this.x as tf.Tensor4D;
          const match = tf.div(tf.sum(tf.square(tf.sub(this.model.layer(v, this.layer, 'post'), this.goal))), this.scale);
          return tf.addN([match, tf.mul(l2, tf.sum(tf.square(v))), tf.mul(tv, totalVariation(v))]) as tf.Scalar;
        }),
      false,
      [this.x],
    );
    cost?.dispose();
    tf.tidy(() => this.x.assign(tf.clipByValue(this.x, range[0], range[1])));
    this.taken++;
  }

  result(): InvertResult {
    const { height, width, channels } = this.model.architecture;
    return {
      image: Float32Array.from(this.x.dataSync()),
      shape: [height, width, channels],
      layer: this.layer,
      initialRelativeError: this.initialRelativeError,
      finalRelativeError: this.relativeError(),
      featureNorm: Math.sqrt(this.goalNorm2),
      steps: this.taken,
      settings: this.settings,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.x.dispose();
    this.goal.dispose();
  }
}

/** The whole inversion at once (the CLI's); a signal stops it with a CancelledError between steps. */
export function invertFeatures(
  model: ImageClassifier,
  image: Float32Array,
  layer: string,
  partial: Partial<InvertOptions> = {},
): InvertResult {
  const { signal, ...settings } = partial;
  const run = new FeatureInversionRun(model, image, layer, settings);
  try {
    while (run.steps < run.settings.steps) {
      throwIfAborted(signal, 'Feature inversion');
      run.step();
    }
    return run.result();
  } finally {
    run.dispose();
  }
}
