import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../errors';
import { Random } from '../random';
import { type ActivationTarget, checkTarget, targetActivation } from './activationTarget';
import type { ImageClassifier } from './imageClassifier';
import { gaussianBlur, roll } from './imageTransforms';
import { withDefaults } from './withDefaults';

/** Gradient-ascent settings; each regulariser is off at 0. All of them are echoed in the result. */
export interface MaximizeOptions {
  steps: number;
  /** Per-pixel step: the gradient is divided by its mean absolute value, so this is the typical pixel change. */
  learningRate: number;
  /** L2 decay: after each step x ← (1 − decay)·x, pulling unneeded pixels to zero (the data's background). */
  l2Decay: number;
  /** Random circular shift of up to this many pixels before each step, undone after it. */
  jitter: number;
  /** Blur with a Gaussian of this σ (pixels) every `blurEvery` steps; 0: never. */
  blurEvery: number;
  blurSigma: number;
  /**
   * Multi-scale ("octaves"): the image is first optimised at 1/2^(octaves−1) of the model's
   * size (the model sees it bilinearly upsampled), then upsampled and refined at each larger
   * scale; `steps` per octave. 1: a single scale.
   */
  octaves: number;
  /** Standard deviation of the Gaussian starting noise, centred in `range`. */
  noise: number;
  /** Pixel values are clipped into this range after each step (the training data's range). */
  range: [number, number];
  seed: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAXIMIZE_OPTIONS: Omit<MaximizeOptions, 'signal'> = {
  steps: 200,
  learningRate: 0.02,
  l2Decay: 0.001,
  jitter: 1,
  blurEvery: 10,
  blurSigma: 0.5,
  octaves: 1,
  noise: 0.1,
  range: [0, 1],
  seed: 1,
};

export interface MaximizeResult {
  /** [height, width, channels] values. */
  image: Float32Array;
  shape: [number, number, number];
  target: ActivationTarget;
  /** The target's value for the starting noise and for the result. */
  initialValue: number;
  finalValue: number;
  /** The target's value every 10 steps (and at the end), for a curve. */
  history: { step: number; value: number }[];
  /** All logits of the result, so a class visualisation can be checked. */
  logits: number[];
  settings: Omit<MaximizeOptions, 'signal'>;
}

function value(model: ImageClassifier, x: tf.Tensor4D, target: ActivationTarget): number {
  return tf.tidy(() => targetActivation(model, x, target).dataSync()[0]!);
}

/**
 * Activation maximisation from noise (Erhan et al. 2009; cs231n class visualisation; Yosinski
 * et al. 2015 regularisers): gradient ascent on the image to make one unit, filter or class
 * logit large, with L2 decay, jitter, periodic Gaussian blur and optional multi-scale
 * upsampling, each switchable.
 */
export function maximizeActivation(
  model: ImageClassifier,
  target: ActivationTarget,
  partial: Partial<MaximizeOptions> = {},
): MaximizeResult {
  checkTarget(model, target);
  const { signal, ...settings } = withDefaults<MaximizeOptions>(DEFAULT_MAXIMIZE_OPTIONS, partial);
  const o = settings;
  const { height, width, channels } = model.architecture;
  const rng = new Random(o.seed);
  const octaves = Math.max(1, Math.floor(o.octaves));
  const scale = 2 ** (octaves - 1);
  const size = (k: number): [number, number] => [
    Math.max(1, Math.round(height / scale) * 2 ** k),
    Math.max(1, Math.round(width / scale) * 2 ** k),
  ];
  const [h0, w0] = octaves === 1 ? [height, width] : size(0);
  const start = new Float32Array(h0 * w0 * channels);
  const mid = (o.range[0] + o.range[1]) / 2;
  for (let i = 0; i < start.length; i++) start[i] = mid + o.noise * rng.normal();
  let x = tf.tidy(() => tf.clipByValue(tf.tensor4d(start, [1, h0, w0, channels]), o.range[0], o.range[1]) as tf.Tensor4D);
  const toModel = (p: tf.Tensor4D): tf.Tensor4D =>
    p.shape[1] === height && p.shape[2] === width ? p : tf.image.resizeBilinear(p, [height, width], true);
  const initialValue = tf.tidy(() => value(model, toModel(x), target));
  const history: { step: number; value: number }[] = [{ step: 0, value: initialValue }];
  const gradient = tf.valueAndGrad((p: tf.Tensor) => tf.sum(targetActivation(model, toModel(p as tf.Tensor4D), target)));
  let step = 0;
  try {
    for (let octave = 0; octave < octaves; octave++) {
      if (octave > 0) {
        const [h, w] = octave === octaves - 1 ? [height, width] : size(octave);
        const bigger = tf.image.resizeBilinear(x, [h, w], true) as tf.Tensor4D;
        x.dispose();
        x = bigger;
      }
      for (let s = 0; s < o.steps; s++) {
        throwIfAborted(signal, 'Activation maximisation');
        const next = tf.tidy(() => {
          const dy = o.jitter > 0 ? rng.int(2 * o.jitter + 1) - o.jitter : 0;
          const dx = o.jitter > 0 ? rng.int(2 * o.jitter + 1) - o.jitter : 0;
          const shifted = roll(x, dy, dx);
          const { grad } = gradient(shifted);
          const g = roll(grad as tf.Tensor4D, -dy, -dx);
          const stepSize = tf.div(o.learningRate, tf.add(tf.mean(tf.abs(g)), 1e-12));
          let y = tf.add(x, tf.mul(g, stepSize)) as tf.Tensor4D;
          if (o.l2Decay > 0) y = tf.mul(y, 1 - o.l2Decay);
          if (o.blurEvery > 0 && o.blurSigma > 0 && (s + 1) % o.blurEvery === 0) y = gaussianBlur(y, o.blurSigma);
          return tf.clipByValue(y, o.range[0], o.range[1]) as tf.Tensor4D;
        });
        x.dispose();
        x = next;
        step++;
        if (step % 10 === 0) history.push({ step, value: tf.tidy(() => value(model, toModel(x), target)) });
      }
    }
    const final = tf.tidy(() => toModel(x).clone());
    try {
      const finalValue = value(model, final, target);
      if (history[history.length - 1]!.step !== step) history.push({ step, value: finalValue });
      const logits = tf.tidy(() => Array.from(model.run(final).logits.dataSync()));
      return {
        image: final.dataSync() as Float32Array,
        shape: [height, width, channels],
        target,
        initialValue,
        finalValue,
        history,
        logits,
        settings,
      };
    } finally {
      final.dispose();
    }
  } finally {
    x.dispose();
  }
}
