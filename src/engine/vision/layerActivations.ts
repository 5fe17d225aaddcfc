import * as tf from '@tensorflow/tfjs-core';
import { type ImageClassifier, imageTensor } from './imageClassifier';
import type { ImageLayerKind } from './imageArchitecture';

export interface LayerActivation {
  name: string;
  kind: ImageLayerKind;
  /** [h, w, filters] for conv/pool, [units] for dense/logits. */
  shape: number[];
  /** Values after the layer's non-linearity (logits: the raw scores), row-major. */
  values: Float32Array;
}

export interface ImageActivations {
  layers: LayerActivation[];
  probabilities: number[];
  predicted: number;
}

/** Every layer's output for one image: dense activations and conv feature maps, for heatmaps. */
export function imageActivations(model: ImageClassifier, image: Float32Array): ImageActivations {
  return tf.tidy(() => {
    const run = model.run(imageTensor(model, image), true);
    const probabilities = Array.from(tf.softmax(run.logits).dataSync());
    return {
      layers: run.layers.map((l) => ({
        name: l.name,
        kind: l.kind,
        shape: l.post.shape.slice(1),
        values: Float32Array.from(l.post.dataSync()),
      })),
      probabilities,
      predicted: probabilities.indexOf(Math.max(...probabilities)),
    };
  });
}

export interface UnitScore {
  unit: number;
  /** Mean over the feature map (conv/pool) or the value (dense/logits). */
  mean: number;
  max: number;
}

/** A layer's units ranked by mean activation, highest first (ties: lower index first). */
export function mostActiveUnits(layer: LayerActivation, n: number): UnitScore[] {
  const units = layer.shape[layer.shape.length - 1]!;
  const positions = layer.values.length / units;
  const scores: UnitScore[] = [];
  for (let u = 0; u < units; u++) {
    let sum = 0;
    let max = -Infinity;
    for (let p = 0; p < positions; p++) {
      const v = layer.values[p * units + u]!;
      sum += v;
      if (v > max) max = v;
    }
    scores.push({ unit: u, mean: sum / positions, max });
  }
  return scores.sort((a, b) => b.mean - a.mean || a.unit - b.unit).slice(0, Math.max(0, n));
}

/** One channel of a feature map [h, w, filters] as its own [h, w] image. */
export function featureMap(layer: LayerActivation, unit: number): Float32Array {
  const [h, w, filters] = layer.shape as [number, number, number];
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) out[p] = layer.values[p * filters + unit]!;
  return out;
}
