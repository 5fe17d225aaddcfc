import { NeuronLensError } from '../errors';
import { describeValue } from '../../shared/errors';

export const IMAGE_MODEL_KINDS = ['mlp', 'convnet'] as const;
export type ImageModelKind = (typeof IMAGE_MODEL_KINDS)[number];

/** A conv block: 'same'-padded stride-1 convolution, ReLU, then 2×2 max pooling (stride 2). */
export interface ConvBlockSpec {
  filters: number;
  kernel: number;
}

/** Everything needed to rebuild an image classifier's computation (not its weights). */
export interface ImageClassifierArchitecture {
  task: 'image-classifier';
  kind: ImageModelKind;
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB); pixel values are in [0, 1]. */
  channels: number;
  /** Empty for an MLP. */
  convBlocks: ConvBlockSpec[];
  /** Hidden dense layers (ReLU), after the conv blocks' output is flattened. */
  dense: number[];
  numClasses: number;
}

/** Limits that keep a corrupt or hostile model.json from asking for absurd allocations. */
export const IMAGE_LIMITS = { maxSide: 512, maxUnits: 8192, maxFilters: 1024, maxKernel: 15, maxLayers: 16, maxClasses: 10_000 } as const;

export interface ImageArchitectureOptions {
  kind: ImageModelKind;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  convBlocks?: ConvBlockSpec[];
  dense?: number[];
}

/** Defaults sized for 28×28 digits: the ConvNet reaches ~98-99% and the MLP ~96-97% on MNIST. */
export const DEFAULT_CONV_BLOCKS: ConvBlockSpec[] = [
  { filters: 16, kernel: 5 },
  { filters: 32, kernel: 5 },
];
export const DEFAULT_CONV_DENSE = [128];
export const DEFAULT_MLP_DENSE = [256, 128];

export function makeImageArchitecture(o: ImageArchitectureOptions): ImageClassifierArchitecture {
  const convBlocks = o.kind === 'convnet' ? (o.convBlocks ?? DEFAULT_CONV_BLOCKS) : [];
  const dense = o.dense ?? (o.kind === 'convnet' ? DEFAULT_CONV_DENSE : DEFAULT_MLP_DENSE);
  const a: ImageClassifierArchitecture = {
    task: 'image-classifier',
    kind: o.kind,
    height: o.height,
    width: o.width,
    channels: o.channels,
    convBlocks: convBlocks.map((b) => ({ ...b })),
    dense: [...dense],
    numClasses: o.numClasses,
  };
  validateImageArchitecture(a);
  return a;
}

function isCount(v: unknown, min: number, max: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** Throws a NeuronLensError naming the first problem; used on everything read from disk. */
export function validateImageArchitecture(a: unknown): asserts a is ImageClassifierArchitecture {
  const bad = (what: string): never => {
    throw new NeuronLensError(`Invalid image model architecture: ${what}`, 'invalid-model');
  };
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return bad('not an object');
  const x = a as Record<string, unknown>;
  if (x.task !== 'image-classifier') bad(`task ${describeValue(x.task)} is not "image-classifier"`);
  if (!IMAGE_MODEL_KINDS.includes(x.kind as ImageModelKind))
    bad(`kind ${describeValue(x.kind)} is not one of ${IMAGE_MODEL_KINDS.join(', ')}`);
  for (const key of ['height', 'width'] as const)
    if (!isCount(x[key], 1, IMAGE_LIMITS.maxSide)) bad(`${key} ${describeValue(x[key])} must be 1..${IMAGE_LIMITS.maxSide}`);
  if (x.channels !== 1 && x.channels !== 3) bad(`channels ${describeValue(x.channels)} must be 1 or 3`);
  if (!isCount(x.numClasses, 2, IMAGE_LIMITS.maxClasses))
    bad(`numClasses ${describeValue(x.numClasses)} must be 2..${IMAGE_LIMITS.maxClasses}`);
  if (!Array.isArray(x.convBlocks) || x.convBlocks.length > IMAGE_LIMITS.maxLayers) bad('convBlocks must be a short list');
  if (!Array.isArray(x.dense) || x.dense.length > IMAGE_LIMITS.maxLayers) bad('dense must be a short list');
  const blocks = x.convBlocks as unknown[];
  if (x.kind === 'mlp' && blocks.length > 0) bad('an MLP has no conv blocks');
  if (x.kind === 'convnet' && blocks.length === 0) bad('a ConvNet needs at least one conv block');
  let h = x.height as number;
  let w = x.width as number;
  blocks.forEach((b, i) => {
    const block = b as Partial<ConvBlockSpec> | null;
    if (typeof block !== 'object' || block === null) return bad(`conv block ${i + 1} is not an object`);
    if (!isCount(block.filters, 1, IMAGE_LIMITS.maxFilters)) bad(`conv block ${i + 1}: filters must be 1..${IMAGE_LIMITS.maxFilters}`);
    if (!isCount(block.kernel, 1, IMAGE_LIMITS.maxKernel)) bad(`conv block ${i + 1}: kernel must be 1..${IMAGE_LIMITS.maxKernel}`);
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  });
  (x.dense as unknown[]).forEach((u, i) => {
    if (!isCount(u, 1, IMAGE_LIMITS.maxUnits)) bad(`dense layer ${i + 1} must have 1..${IMAGE_LIMITS.maxUnits} units`);
  });
  if (h < 1 || w < 1) bad('the image is too small for that many pooling blocks');
}

export interface WeightSpec {
  name: string;
  shape: number[];
}

/** Height, width and channels after each conv block (pooling with 'same' padding rounds up). */
export function convOutputShapes(a: ImageClassifierArchitecture): [number, number, number][] {
  let [h, w] = [a.height, a.width];
  return a.convBlocks.map((b) => {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    return [h, w, b.filters];
  });
}

export function flattenedSize(a: ImageClassifierArchitecture): number {
  const shapes = convOutputShapes(a);
  const last = shapes[shapes.length - 1];
  return last ? last[0] * last[1] * last[2] : a.height * a.width * a.channels;
}

/** Names and shapes of every weight, in a fixed order (the manifest's and the optimizer's). */
export function imageWeightSpecs(a: ImageClassifierArchitecture): WeightSpec[] {
  const specs: WeightSpec[] = [];
  let channels = a.channels;
  a.convBlocks.forEach((b, i) => {
    specs.push({ name: `conv${i + 1}/kernel`, shape: [b.kernel, b.kernel, channels, b.filters] });
    specs.push({ name: `conv${i + 1}/bias`, shape: [b.filters] });
    channels = b.filters;
  });
  let inputs = flattenedSize(a);
  a.dense.forEach((units, i) => {
    specs.push({ name: `dense${i + 1}/kernel`, shape: [inputs, units] });
    specs.push({ name: `dense${i + 1}/bias`, shape: [units] });
    inputs = units;
  });
  specs.push({ name: 'logits/kernel', shape: [inputs, a.numClasses] });
  specs.push({ name: 'logits/bias', shape: [a.numClasses] });
  return specs;
}

export type ImageLayerKind = 'conv' | 'pool' | 'dense' | 'logits';

export interface ImageLayerInfo {
  name: string;
  kind: ImageLayerKind;
  /** Per-example shape: [h, w, channels] for conv/pool, [units] for dense/logits. */
  shape: number[];
}

/** Every observable layer in forward order. */
export function imageLayers(a: ImageClassifierArchitecture): ImageLayerInfo[] {
  const layers: ImageLayerInfo[] = [];
  let [h, w] = [a.height, a.width];
  a.convBlocks.forEach((b, i) => {
    layers.push({ name: `conv${i + 1}`, kind: 'conv', shape: [h, w, b.filters] });
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
    layers.push({ name: `pool${i + 1}`, kind: 'pool', shape: [h, w, b.filters] });
  });
  a.dense.forEach((units, i) => layers.push({ name: `dense${i + 1}`, kind: 'dense', shape: [units] }));
  layers.push({ name: 'logits', kind: 'logits', shape: [a.numClasses] });
  return layers;
}

export function findImageLayer(a: ImageClassifierArchitecture, name: string): ImageLayerInfo {
  const layer = imageLayers(a).find((l) => l.name === name);
  if (!layer) {
    throw new NeuronLensError(
      `Unknown layer "${name}" (layers: ${imageLayers(a)
        .map((l) => l.name)
        .join(', ')})`,
    );
  }
  return layer;
}
