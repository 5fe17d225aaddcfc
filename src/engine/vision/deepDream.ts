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
  /** Ascent steps taken: `settings.steps` unless stopped early. */
  steps: number;
  settings: Omit<DreamOptions, 'signal'>;
}

/** ½‖a‖² of a layer's activation after the ReLU: what DeepDream amplifies. */
export function dreamObjective(model: ImageClassifier, x: tf.Tensor4D, layer: string): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(model.layer(x, layer, 'post')))) as tf.Scalar);
}

/**
 * DeepDream (Mordvintsev et al. 2015, cs231n): steps of gradient ascent on ½‖a‖² of a layer's
 * activation, starting from the image, with jitter, so whatever the layer already sees grows.
 *
 * One step at a time, so the worker can yield to its event loop between steps (a cancel message
 * only arrives there) and report progress; `result()` is the image so far. Holds a tensor until
 * `dispose()`.
 */
export class DeepDreamRun {
  readonly settings: Omit<DreamOptions, 'signal'>;
  readonly initialObjective: number;
  private readonly rng: Random;
  private readonly gradient: (x: tf.Tensor) => tf.Tensor;
  private x: tf.Tensor4D;
  private taken = 0;

  constructor(
    private readonly model: ImageClassifier,
    image: Float32Array,
    readonly layer: string,
    partial: Partial<Omit<DreamOptions, 'signal'>> = {},
  ) {
    findImageLayer(model.architecture, layer);
    this.settings = withDefaults<Omit<DreamOptions, 'signal'>>(DEFAULT_DREAM_OPTIONS, partial);
    this.rng = new Random(this.settings.seed);
    this.x = imageTensor(model, image);
    this.gradient = tf.grad((input: tf.Tensor) => dreamObjective(model, input as tf.Tensor4D, layer));
    this.initialObjective = this.objective();
  }

  get steps(): number {
    return this.taken;
  }

  private objective(): number {
    return tf.tidy(() => dreamObjective(this.model, this.x, this.layer).dataSync()[0]!);
  }

  step(): void {
    const { jitter, learningRate, range } = this.settings;
    const next = tf.tidy(() => {
      const dy = jitter > 0 ? this.rng.int(2 * jitter + 1) - jitter : 0;
      const dx = jitter > 0 ? this.rng.int(2 * jitter + 1) - jitter : 0;
      const g = roll(this.gradient(roll(this.x, dy, dx)) as tf.Tensor4D, -dy, -dx);
      const step = tf.mul(g, tf.div(learningRate, tf.add(tf.mean(tf.abs(g)), 1e-12)));
      return tf.clipByValue(tf.add(this.x, step), range[0], range[1]) as tf.Tensor4D;
    });
    this.x.dispose();
    this.x = next;
    this.taken++;
  }

  result(): DreamResult {
    const { height, width, channels } = this.model.architecture;
    return {
      image: Float32Array.from(this.x.dataSync()),
      shape: [height, width, channels],
      layer: this.layer,
      initialObjective: this.initialObjective,
      finalObjective: this.objective(),
      steps: this.taken,
      settings: this.settings,
    };
  }

  dispose(): void {
    this.x.dispose();
  }
}

/** The whole dream at once (the CLI's); a signal stops it with a CancelledError between steps. */
export function deepDream(model: ImageClassifier, image: Float32Array, layer: string, partial: Partial<DreamOptions> = {}): DreamResult {
  const { signal, ...settings } = partial;
  const run = new DeepDreamRun(model, image, layer, settings);
  try {
    while (run.steps < run.settings.steps) {
      throwIfAborted(signal, 'DeepDream');
      run.step();
    }
    return run.result();
  } finally {
    run.dispose();
  }
}
