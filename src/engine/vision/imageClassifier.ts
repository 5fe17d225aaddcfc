import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';
import { Random } from '../random';
import { conv2dSame } from './convolution';
import { type ImageClassifierArchitecture, type ImageLayerKind, imageWeightSpecs, validateImageArchitecture } from './imageArchitecture';

/** One layer's output for a batch: before and after its non-linearity (the same tensor for pooling and logits). */
export interface LayerOutput {
  name: string;
  kind: ImageLayerKind;
  pre: tf.Tensor;
  post: tf.Tensor;
}

export interface ImageRun {
  logits: tf.Tensor2D;
  /** Every layer in forward order, when recorded. */
  layers: LayerOutput[];
}

let nextId = 0;

/**
 * A feed-forward image classifier (MLP or ConvNet) written with tfjs-core ops, so every layer's
 * output is observable. Images are [batch, height, width, channels] with values in [0, 1].
 */
export class ImageClassifier {
  readonly weights: Map<string, tf.Variable>;

  constructor(
    readonly architecture: ImageClassifierArchitecture,
    weights: Map<string, tf.Tensor>,
  ) {
    validateImageArchitecture(architecture);
    const specs = imageWeightSpecs(architecture);
    for (const spec of specs) {
      const t = weights.get(spec.name);
      if (!t) throw new NeuronLensError(`weight ${spec.name} is missing`, 'invalid-model');
      if (!tf.util.arraysEqual(t.shape, spec.shape))
        throw new NeuronLensError(
          `weight ${spec.name} has shape [${t.shape.join(', ')}], expected [${spec.shape.join(', ')}]`,
          'invalid-model',
        );
    }
    const id = nextId++;
    // Variables copy the given tensors: the caller keeps ownership of its own.
    this.weights = new Map(specs.map((spec) => [spec.name, tf.variable(weights.get(spec.name)!, true, `image/${spec.name}_${id}`)]));
  }

  /** He-normal kernels (ReLU layers), zero biases, from a seeded generator. */
  static initialize(architecture: ImageClassifierArchitecture, seed: number): ImageClassifier {
    const rng = new Random(seed);
    const weights = new Map<string, tf.Tensor>();
    for (const spec of imageWeightSpecs(architecture)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (spec.name.endsWith('/kernel')) {
        const fanIn = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const std = Math.sqrt((spec.name.startsWith('logits') ? 1 : 2) / fanIn);
        for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
      }
      weights.set(spec.name, tf.tensor(values, spec.shape));
    }
    try {
      return new ImageClassifier(architecture, weights);
    } finally {
      tf.dispose([...weights.values()]);
    }
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  private w(name: string): tf.Variable {
    return this.weights.get(name)!;
  }

  /** Runs a batch; call inside tf.tidy (or dispose the results). */
  run(images: tf.Tensor4D, record = false): ImageRun {
    const a = this.architecture;
    if (images.shape[1] !== a.height || images.shape[2] !== a.width || images.shape[3] !== a.channels) {
      throw new NeuronLensError(
        `The model takes ${a.height}×${a.width}×${a.channels} images, not ${images.shape[1]}×${images.shape[2]}×${images.shape[3]}`,
      );
    }
    const layers: LayerOutput[] = [];
    let x: tf.Tensor = images;
    a.convBlocks.forEach((_b, i) => {
      const pre = tf.add(conv2dSame(x as tf.Tensor4D, this.w(`conv${i + 1}/kernel`) as tf.Tensor4D), this.w(`conv${i + 1}/bias`));
      const post = tf.relu(pre);
      const pooled = tf.maxPool(post as tf.Tensor4D, 2, 2, 'same');
      if (record) {
        layers.push({ name: `conv${i + 1}`, kind: 'conv', pre, post });
        layers.push({ name: `pool${i + 1}`, kind: 'pool', pre: pooled, post: pooled });
      }
      x = pooled;
    });
    x = tf.reshape(x, [images.shape[0], -1]);
    a.dense.forEach((_u, i) => {
      const pre = tf.add(tf.matMul(x as tf.Tensor2D, this.w(`dense${i + 1}/kernel`) as tf.Tensor2D), this.w(`dense${i + 1}/bias`));
      const post = tf.relu(pre);
      if (record) layers.push({ name: `dense${i + 1}`, kind: 'dense', pre, post });
      x = post;
    });
    const logits = tf.add(tf.matMul(x as tf.Tensor2D, this.w('logits/kernel') as tf.Tensor2D), this.w('logits/bias')) as tf.Tensor2D;
    if (record) layers.push({ name: 'logits', kind: 'logits', pre: logits, post: logits });
    return { logits, layers };
  }

  /** The named layer's output for a batch (pre- or post-activation). */
  layer(images: tf.Tensor4D, name: string, which: 'pre' | 'post' = 'post'): tf.Tensor {
    const found = this.run(images, true).layers.find((l) => l.name === name);
    if (!found) throw new NeuronLensError(`Unknown layer "${name}"`);
    return found[which];
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }
}

/** One image [height, width, channels] as a batch of one for the model, its size checked. */
export function imageTensor(model: ImageClassifier, image: Float32Array): tf.Tensor4D {
  const { height, width, channels } = model.architecture;
  if (image.length !== height * width * channels)
    throw new NeuronLensError(`The image has ${image.length} values; the model takes ${height}×${width}×${channels}`);
  return tf.tensor4d(image, [1, height, width, channels]);
}
