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
  settings: Omit<InvertOptions, 'signal'>;
}

/**
 * Feature inversion (Mahendran & Vedaldi 2015, cs231n): from noise, find an image whose
 * features at `layer` (after the ReLU) match the original's, minimising
 * ‖φ(x) − φ(x₀)‖² / ‖φ(x₀)‖² + l2·Σx² + tv·TV(x) with Adam, pixels clipped to the data range.
 */
export function invertFeatures(
  model: ImageClassifier,
  image: Float32Array,
  layer: string,
  partial: Partial<InvertOptions> = {},
): InvertResult {
  findImageLayer(model.architecture, layer);
  const { signal, ...settings } = withDefaults<InvertOptions>(DEFAULT_INVERT_OPTIONS, partial);
  const { height, width, channels } = model.architecture;
  const rng = new Random(settings.seed);
  const goal = tf.tidy(() => model.layer(imageTensor(model, image), layer, 'post'));
  const goalNorm2 = tf.tidy(() => tf.sum(tf.square(goal)).dataSync()[0]!) || 1;
  const start = new Float32Array(height * width * channels);
  const mid = (settings.range[0] + settings.range[1]) / 2;
  for (let i = 0; i < start.length; i++) start[i] = mid + settings.noise * rng.normal();
  const initial = tf.tidy(() => tf.clipByValue(tf.tensor4d(start, [1, height, width, channels]), settings.range[0], settings.range[1]));
  const x = tf.variable(initial, true);
  initial.dispose();
  const optimizer = tf.train.adam(settings.learningRate);
  const featureError = (): number =>
    tf.tidy(() => Math.sqrt(tf.sum(tf.square(tf.sub(model.layer(x as tf.Tensor4D, layer, 'post'), goal))).dataSync()[0]! / goalNorm2));
  try {
    const initialRelativeError = featureError();
    for (let s = 0; s < settings.steps; s++) {
      throwIfAborted(signal, 'Feature inversion');
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const v = x as tf.Tensor4D;
            const match = tf.div(tf.sum(tf.square(tf.sub(model.layer(v, layer, 'post'), goal))), goalNorm2);
            return tf.addN([match, tf.mul(settings.l2, tf.sum(tf.square(v))), tf.mul(settings.tv, totalVariation(v))]) as tf.Scalar;
          }),
        false,
        [x],
      );
      cost?.dispose();
      tf.tidy(() => x.assign(tf.clipByValue(x, settings.range[0], settings.range[1])));
    }
    return {
      image: Float32Array.from(x.dataSync()),
      shape: [height, width, channels],
      layer,
      initialRelativeError,
      finalRelativeError: featureError(),
      settings,
    };
  } finally {
    optimizer.dispose();
    x.dispose();
    goal.dispose();
  }
}
