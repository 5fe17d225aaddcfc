import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from '../errors';
import { type ImageClassifier, imageTensor } from './imageClassifier';

export interface SaliencyResult {
  /** [height, width]: max over channels of |∂ class score / ∂ pixel|. */
  map: Float32Array;
  shape: [number, number];
  classIndex: number;
  /** The class's unnormalised score (logit) for the image. */
  score: number;
  /** The model's prediction for the image. */
  predicted: number;
}

/**
 * Saliency map (Simonyan et al. 2014, cs231n): how much each pixel's change would change the
 * class score, as the gradient's magnitude, maximised over colour channels. `classIndex`
 * defaults to the predicted class.
 */
export function saliencyMap(model: ImageClassifier, image: Float32Array, classIndex?: number): SaliencyResult {
  const { height, width, numClasses } = model.architecture;
  if (classIndex !== undefined && (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= numClasses))
    throw new NeuronLensError(`Class ${classIndex} is out of range (the model has ${numClasses} classes)`);
  return tf.tidy(() => {
    const x = imageTensor(model, image);
    const logits = model.run(x).logits;
    const predicted = tf.argMax(logits, 1).dataSync()[0]!;
    const c = classIndex ?? predicted;
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.slice(model.run(input as tf.Tensor4D).logits, [0, c], [1, 1])))(x);
    const map = tf.max(tf.abs(grad), 3).dataSync() as Float32Array;
    return {
      map: Float32Array.from(map),
      shape: [height, width] as [number, number],
      classIndex: c,
      score: logits.dataSync()[c]!,
      predicted,
    };
  });
}
