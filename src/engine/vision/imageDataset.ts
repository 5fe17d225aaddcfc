/** Labelled images, row-major [count, height, width, channels], values in [0, 1]. */
export interface ImageDataset {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  /** Where the images came from, for model metadata and reports. */
  source: string;
}

export interface ImageSplit {
  train: ImageDataset;
  test: ImageDataset;
}

export function imageSize(d: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return d.height * d.width * d.channels;
}

/** The examples at `indices`, copied. */
export function subset(d: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = imageSize(d);
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(d.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = d.labels[j]!;
  }
  return { ...d, images, labels, count: indices.length };
}

/**
 * A stratified, deterministic split: within each class, the first (1 − testFraction) of the
 * examples in their stored order train and the rest test, so every class appears in both.
 */
export function splitByClass(d: ImageDataset, testFraction: number): ImageSplit {
  const byClass: number[][] = d.classes.map(() => []);
  for (let i = 0; i < d.count; i++) byClass[d.labels[i]!]!.push(i);
  const train: number[] = [];
  const test: number[] = [];
  for (const members of byClass) {
    const nTest = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * testFraction));
    train.push(...members.slice(0, members.length - nTest));
    test.push(...members.slice(members.length - nTest));
  }
  return { train: subset(d, train), test: subset(d, test) };
}

/** One example as its own dataset-free image: [height, width, channels] values. */
export function exampleImage(d: ImageDataset, index: number): Float32Array {
  const size = imageSize(d);
  return d.images.slice(index * size, (index + 1) * size);
}
