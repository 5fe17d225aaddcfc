import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../errors';
import { Random } from '../random';
import { type ImageClassifier, imageTensor } from './imageClassifier';
import { findImageLayer } from './imageArchitecture';
import { roll } from './imageTransforms';
import { withDefaults } from './withDefaults';

export interface DreamOptions {
  steps: number;
  /** Per-pixel step: the gradient is divided by its mean absolute value. */
  learningRate: number;
  jitter: number;
  range: [number, number];
  seed: number;
  signal?: AbortSignal;
}

export const DEFAULT_DREAM_OPTIONS: Omit<DreamOptions, 'signal'> = { steps: 20, learningRate: 0.02, jitter: 1, range: [0, 1], seed: 1 };

export interface DreamResult {
  image: Float32Array;
  shape: [number, number, number];
  layer: string;
  /** ½‖layer activation‖² before and after. */
  initialObjective: number;
  finalObjective: number;
  settings: Omit<DreamOptions, 'signal'>;
}

/** ½‖a‖² of a layer's activation after the ReLU: what DeepDream amplifies. */
export function dreamObjective(model: ImageClassifier, x: tf.Tensor4D, layer: string): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(model.layer(x, layer, 'post')))) as tf.Scalar);
}

/**
 * DeepDream (Mordvintsev et al. 2015, cs231n): steps of gradient ascent on ½‖a‖² of a layer's
 * activation, starting from the image, with jitter, so whatever the layer already sees grows.
 */
export function deepDream(model: ImageClassifier, image: Float32Array, layer: string, partial: Partial<DreamOptions> = {}): DreamResult {
  findImageLayer(model.architecture, layer);
  const { signal, ...settings } = withDefaults<DreamOptions>(DEFAULT_DREAM_OPTIONS, partial);
  const { height, width, channels } = model.architecture;
  const rng = new Random(settings.seed);
  let x = imageTensor(model, image);
  const gradient = tf.grad((input: tf.Tensor) => dreamObjective(model, input as tf.Tensor4D, layer));
  const objective = (): number => tf.tidy(() => dreamObjective(model, x, layer).dataSync()[0]!);
  try {
    const initialObjective = objective();
    for (let s = 0; s < settings.steps; s++) {
      throwIfAborted(signal, 'DeepDream');
      const next = tf.tidy(() => {
        const dy = settings.jitter > 0 ? rng.int(2 * settings.jitter + 1) - settings.jitter : 0;
        const dx = settings.jitter > 0 ? rng.int(2 * settings.jitter + 1) - settings.jitter : 0;
        const g = roll(gradient(roll(x, dy, dx)) as tf.Tensor4D, -dy, -dx);
        const step = tf.mul(g, tf.div(settings.learningRate, tf.add(tf.mean(tf.abs(g)), 1e-12)));
        return tf.clipByValue(tf.add(x, step), settings.range[0], settings.range[1]) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
    }
    return {
      image: Float32Array.from(x.dataSync()),
      shape: [height, width, channels],
      layer,
      initialObjective,
      finalObjective: objective(),
      settings,
    };
  } finally {
    x.dispose();
  }
}
