import { NeuronLensError } from '../errors';
import { type ConvBlockSpec, type ImageModelKind, makeImageArchitecture } from './imageArchitecture';
import { ImageClassifier } from './imageClassifier';
import { type ImageDataset, type ImageSplit, splitByClass } from './imageDataset';
import { loadImageFolder } from './imageFolder';
import { type ImageTrainingMetadata, type LoadedImageModel, saveImageModel } from './imageModelFolder';
import { DEFAULT_IMAGE_TRAIN_OPTIONS, type ImageTrainProgress, type ImageTrainResult, trainImageClassifier } from './imageTrainer';
import { MNIST_SOURCE, MNIST_TEST_FRACTION, loadMnistDigits } from './mnistDigits';
import { withDefaults } from './withDefaults';

export interface ImageRunOptions {
  kind: ImageModelKind;
  /** 'mnist' (the default digits) or a folder with one sub-folder per class. */
  data: string;
  /** Input size for folder images (MNIST is 28×28×1). */
  height?: number;
  width?: number;
  channels?: 1 | 3;
  convBlocks?: ConvBlockSpec[];
  dense?: number[];
  testFraction?: number;
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  shift?: number;
  schedule?: 'cosine' | 'constant';
  out: string;
  backend?: string;
  signal?: AbortSignal;
  onProgress?: (p: ImageTrainProgress) => void;
}

export interface ImageRunResult {
  result: ImageTrainResult;
  loaded: LoadedImageModel;
  trainImages: number;
  testImages: number;
}

/** Reads the data named by `data`: the MNIST digits or a folder of class sub-folders. */
export function loadImageData(o: Pick<ImageRunOptions, 'data' | 'height' | 'width' | 'channels' | 'signal'>): ImageDataset {
  if (o.data === MNIST_SOURCE) return loadMnistDigits();
  return loadImageFolder(o.data, { height: o.height ?? 28, width: o.width ?? 28, channels: o.channels ?? 1, signal: o.signal });
}

/** Loads data, trains a new image classifier and saves it (also when cancelled, marked incomplete). */
export async function runImageTraining(o: ImageRunOptions): Promise<ImageRunResult> {
  const all = loadImageData(o);
  const split: ImageSplit = splitByClass(all, o.testFraction ?? MNIST_TEST_FRACTION);
  if (split.test.count === 0) throw new NeuronLensError(`${o.data} has too few images per class to keep some for testing`);
  const architecture = makeImageArchitecture({
    kind: o.kind,
    height: all.height,
    width: all.width,
    channels: all.channels,
    numClasses: all.classes.length,
    convBlocks: o.convBlocks,
    dense: o.dense,
  });
  const settings = withDefaults(DEFAULT_IMAGE_TRAIN_OPTIONS, {
    epochs: o.epochs,
    batch: o.batch,
    learningRate: o.learningRate,
    seed: o.seed,
    shift: o.shift,
    schedule: o.schedule,
  });
  const model = ImageClassifier.initialize(architecture, settings.seed);
  try {
    const result = await trainImageClassifier(model, split, { ...settings, signal: o.signal, onProgress: o.onProgress });
    const training: ImageTrainingMetadata = {
      source: all.source,
      epochs: result.epochs,
      targetEpochs: settings.epochs,
      completed: !result.cancelled,
      batch: settings.batch,
      learningRate: settings.learningRate,
      shift: settings.shift,
      schedule: settings.schedule,
      seed: settings.seed,
      trainImages: split.train.count,
      testImages: split.test.count,
      testAccuracy: result.test.accuracy,
      confusion: result.test.confusion,
      elapsedMs: result.elapsedMs,
      ...(o.backend ? { backend: o.backend } : {}),
    };
    const loaded: LoadedImageModel = { model, classes: all.classes, training, dir: o.out };
    await saveImageModel(o.out, loaded);
    return { result, loaded, trainImages: split.train.count, testImages: split.test.count };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
