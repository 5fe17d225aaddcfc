import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError, throwIfAborted } from '../errors';
import { type ImageClassifier, imageTensor } from './imageClassifier';
import { withDefaults } from './withDefaults';

export interface FoolOptions {
  /**
   * 'sign': each pixel moves ±learningRate along the gradient's sign (iterative FGSM, Kurakin
   * et al. 2017), so the L∞ distance is at most steps × learningRate; 'l2': the gradient is
   * scaled to L2 length learningRate (cs231n's update), which concentrates the change on few pixels.
   */
  step: 'sign' | 'l2';
  learningRate: number;
  maxSteps: number;
  /** Pixels stay in this range (the data's). */
  range: [number, number];
  signal?: AbortSignal;
}

export const DEFAULT_FOOL_OPTIONS: Omit<FoolOptions, 'signal'> = { step: 'sign', learningRate: 0.01, maxSteps: 200, range: [0, 1] };

export interface FoolResult {
  /** [height, width, channels]. */
  image: Float32Array;
  /** fooling image − original. */
  difference: Float32Array;
  shape: [number, number, number];
  fooled: boolean;
  /** Gradient steps taken. */
  steps: number;
  originalClass: number;
  targetClass: number;
  predicted: number;
  targetProbability: number;
  /** max |difference| and its root-mean-square. */
  linf: number;
  l2: number;
  settings: Omit<FoolOptions, 'signal'>;
}

/**
 * Fooling image (Szegedy et al. 2014, cs231n): gradient ascent on the target class's score
 * until the model predicts the target class (or maxSteps).
 */
export function foolingImage(
  model: ImageClassifier,
  image: Float32Array,
  targetClass: number,
  partial: Partial<FoolOptions> = {},
): FoolResult {
  const { signal, ...settings } = withDefaults<FoolOptions>(DEFAULT_FOOL_OPTIONS, partial);
  const { height, width, channels, numClasses } = model.architecture;
  if (!Number.isInteger(targetClass) || targetClass < 0 || targetClass >= numClasses)
    throw new NeuronLensError(`Target class ${targetClass} is out of range (the model has ${numClasses} classes)`);
  const original = imageTensor(model, image);
  let x = original.clone();
  const predict = (t: tf.Tensor4D): number => tf.tidy(() => tf.argMax(model.run(t).logits, 1).dataSync()[0]!);
  const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.slice(model.run(input as tf.Tensor4D).logits, [0, targetClass], [1, 1])));
  try {
    const originalClass = predict(original);
    let predicted = originalClass;
    let steps = 0;
    while (predicted !== targetClass && steps < settings.maxSteps) {
      throwIfAborted(signal, 'Fooling image');
      const next = tf.tidy(() => {
        const g = gradient(x);
        const step =
          settings.step === 'sign'
            ? tf.mul(tf.sign(g), settings.learningRate)
            : tf.mul(g, tf.div(settings.learningRate, tf.add(tf.norm(g), 1e-12)));
        return tf.clipByValue(tf.add(x, step), settings.range[0], settings.range[1]) as tf.Tensor4D;
      });
      x.dispose();
      x = next;
      steps++;
      predicted = predict(x);
    }
    return tf.tidy(() => {
      const diff = tf.sub(x, original);
      const probability = tf.softmax(model.run(x).logits).dataSync()[targetClass]!;
      return {
        image: Float32Array.from(x.dataSync()),
        difference: Float32Array.from(diff.dataSync()),
        shape: [height, width, channels] as [number, number, number],
        fooled: predicted === targetClass,
        steps,
        originalClass,
        targetClass,
        predicted,
        targetProbability: probability,
        linf: tf.max(tf.abs(diff)).dataSync()[0]!,
        l2: Math.sqrt(tf.mean(tf.square(diff)).dataSync()[0]!),
        settings,
      };
    });
  } finally {
    x.dispose();
    original.dispose();
  }
}
