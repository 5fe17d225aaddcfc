import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';
import type { ImageClassifier } from './imageClassifier';
import { findImageLayer } from './imageArchitecture';

/**
 * What to make large: a class logit (layer "logits"), a dense neuron, or a conv/pool filter.
 * Dense units and logits use the value before the ReLU, so the gradient never vanishes. A filter
 * is its map's unit at the centre (before the ReLU for conv layers: the single unit Erhan et al.
 * maximise) or the mean of its map after the ReLU (the map's pre-activation mean would have a
 * gradient independent of the image).
 */
export interface ActivationTarget {
  layer: string;
  unit: number;
  spatial?: 'centre' | 'mean';
}

export function checkTarget(model: ImageClassifier, target: ActivationTarget): void {
  const layer = findImageLayer(model.architecture, target.layer);
  const units = layer.shape[layer.shape.length - 1]!;
  if (!Number.isInteger(target.unit) || target.unit < 0 || target.unit >= units) {
    throw new NeuronLensError(
      `Layer ${target.layer} has ${units} ${layer.kind === 'conv' || layer.kind === 'pool' ? 'filters' : 'units'}; ${target.unit} is out of range`,
    );
  }
}

/** The target's value for each image of a batch: [batch]. Call inside a tidy/gradient scope. */
export function targetActivation(model: ImageClassifier, images: tf.Tensor4D, target: ActivationTarget): tf.Tensor1D {
  const found = model.run(images, true).layers.find((l) => l.name === target.layer)!;
  if (found.kind === 'dense' || found.kind === 'logits') return tf.squeeze(tf.slice(found.pre, [0, target.unit], [-1, 1]), [1]);
  const [, h, w] = found.pre.shape as [number, number, number, number];
  if ((target.spatial ?? 'centre') === 'centre') {
    const cy = Math.floor(h / 2);
    const cx = Math.floor(w / 2);
    return tf.reshape(tf.slice(found.pre, [0, cy, cx, target.unit], [-1, 1, 1, 1]), [-1]);
  }
  return tf.mean(tf.slice(found.post, [0, 0, 0, target.unit], [-1, -1, -1, 1]), [1, 2, 3]);
}
