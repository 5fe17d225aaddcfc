import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelledError, NeuronLensError, throwIfAborted } from '../errors';
import { requireInteger, requireNumber, requireString } from '../requestChecks';
import { DEFAULT_MAXIMIZE_OPTIONS, type MaximizeOptions, maximizeActivation } from './activationMaximization';
import { DeepDreamRun, type DreamOptions } from './deepDream';
import { FeatureInversionRun, type InvertOptions } from './featureInversion';
import { type ImageLayerInfo, type ImageLayerKind, findImageLayer, imageLayers } from './imageArchitecture';
import { exampleImage } from './imageDataset';
import { readImageFile } from './imageDecode';
import { type LoadedImageModel, loadImageModel } from './imageModelFolder';
import { DEFAULT_FOOL_OPTIONS, type FoolOptions, foolingImage } from './foolingImage';
import { type UnitScore, imageActivations, mostActiveUnits } from './layerActivations';
import { mnistTestDigits } from './mnistDigits';
import { saliencyMap } from './saliencyMap';

/**
 * The engine worker's image-model requests (the panel's data). An image model is not the active
 * text model: requests name its folder, and the session keeps the loaded models here, reloading
 * one whose model.json changed (it was retrained into the same folder).
 */

/** The input image: a digit of the MNIST test split image-train holds out, or a PNG/JPEG file. */
export type ImageInputRef = { kind: 'digit'; index: number } | { kind: 'file'; path: string };

/** The input as the model sees it, resized to its height × width × channels, values in [0, 1]. */
export interface ImageInputData {
  label: string;
  trueClass?: number;
  pixels: Float32Array;
  shape: [number, number, number];
}

export interface ImageModelDescription {
  dir: string;
  classes: string[];
  layers: ImageLayerInfo[];
  shape: [number, number, number];
  /** How many MNIST test digits the digit picker can show; 0 when the model's input is not 28×28 grey. */
  testDigits: number;
}

export interface ImageLayerResult {
  name: string;
  kind: ImageLayerKind;
  /** [h, w, filters] for conv/pool, [units] for dense/logits. */
  shape: number[];
  values: Float32Array;
  /** The most active filters or units, by mean activation. */
  top: UnitScore[];
}

export interface ImageActivationsResult {
  input: ImageInputData;
  predicted: number;
  probabilities: Float32Array;
  layers: ImageLayerResult[];
}

export interface ImageMaximizeResult {
  layer: string;
  units: { unit: number; initialValue: number; finalValue: number }[];
  /** Every unit's image, one after another: units.length × shape. */
  images: Float32Array;
  shape: [number, number, number];
  settings: Omit<MaximizeOptions, 'signal'>;
  /** Stopped by cancellation: `units` holds the images made so far. */
  cancelled: boolean;
}

export interface ImageSaliencyResult {
  input: ImageInputData;
  /** [height, width]: max over channels of |∂ score / ∂ pixel|. */
  map: Float32Array;
  classIndex: number;
  score: number;
  predicted: number;
}

export interface ImageFoolResult {
  input: ImageInputData;
  /** The fooling image and fooling − original, both input-shaped. */
  image: Float32Array;
  difference: Float32Array;
  fooled: boolean;
  steps: number;
  originalClass: number;
  targetClass: number;
  predicted: number;
  targetProbability: number;
  linf: number;
  l2: number;
  settings: Omit<FoolOptions, 'signal'>;
}

export interface ImageInvertResult {
  input: ImageInputData;
  layer: string;
  /** The reconstruction, input-shaped. */
  image: Float32Array;
  /** ‖φ(x) − φ(x₀)‖ / ‖φ(x₀)‖ for the starting noise and the result. */
  initialRelativeError: number;
  finalRelativeError: number;
  /** ‖φ(x) − φ(x₀)‖ of the result and ‖φ(x₀)‖. */
  distance: number;
  featureNorm: number;
  /** Adam steps taken (fewer than settings.steps when cancelled). */
  steps: number;
  settings: Omit<InvertOptions, 'signal'>;
  elapsedMs: number;
  /** Stopped by cancellation: `image` is the reconstruction after `steps` steps. */
  cancelled: boolean;
}

export interface ImageDreamResult {
  input: ImageInputData;
  layer: string;
  /** The dreamed image, input-shaped. */
  image: Float32Array;
  /** ½‖layer activation‖² of the input and of the result. */
  initialObjective: number;
  finalObjective: number;
  steps: number;
  settings: Omit<DreamOptions, 'signal'>;
  elapsedMs: number;
  cancelled: boolean;
}

/** Bounds the steps of an inversion or a dream a request may ask for (the CLI's bound). */
export const MAX_IMAGE_STEPS = 100_000;

/** Bounds a gallery: every unit costs a full gradient ascent. */
export const MAX_GALLERY_UNITS = 256;

function isDigitModel(m: LoadedImageModel): boolean {
  const a = m.model.architecture;
  return a.height === 28 && a.width === 28 && a.channels === 1;
}

function shapeOf(m: LoadedImageModel): [number, number, number] {
  const a = m.model.architecture;
  return [a.height, a.width, a.channels];
}

export function readInput(m: LoadedImageModel, ref: ImageInputRef): ImageInputData {
  const shape = shapeOf(m);
  if (typeof ref !== 'object' || ref === null) throw new NeuronLensError('The image input must be a test digit or an image file');
  if (ref.kind === 'file') {
    const file = requireString(ref.path, 'image file', { nonEmpty: true });
    return { label: path.basename(file), pixels: readImageFile(file, shape[0], shape[1], shape[2] as 1 | 3), shape };
  }
  if (ref.kind !== 'digit') throw new NeuronLensError('The image input must be a test digit or an image file');
  if (!isDigitModel(m)) throw new NeuronLensError(`The model in ${m.dir} is not a 28×28 grey digit model: open an image file instead`);
  const test = mnistTestDigits();
  const index = requireInteger(ref.index, 'test digit', 0, test.count - 1);
  return { label: `test digit ${index}`, trueClass: test.labels[index], pixels: exampleImage(test, index), shape };
}

/** Loaded image models by folder; at most `capacity` stay in memory (the least recently used is disposed). */
export class ImageModelCache {
  private readonly models = new Map<string, { loaded: LoadedImageModel; stamp: number }>();

  constructor(private readonly capacity = 2) {}

  async get(dir: string): Promise<LoadedImageModel> {
    const key = path.resolve(requireString(dir, 'image model folder', { nonEmpty: true }));
    const stamp = modelStamp(key);
    const hit = this.models.get(key);
    if (hit && hit.stamp === stamp) {
      this.models.delete(key);
      this.models.set(key, hit);
      return hit.loaded;
    }
    this.evict(key);
    const loaded = await loadImageModel(key);
    this.models.set(key, { loaded, stamp });
    while (this.models.size > this.capacity) this.evict(this.models.keys().next().value!);
    return loaded;
  }

  private evict(key: string): void {
    this.models.get(key)?.loaded.model.dispose();
    this.models.delete(key);
  }

  dispose(): void {
    for (const key of [...this.models.keys()]) this.evict(key);
  }
}

/** model.json's modification time: changes when the folder is saved again. */
function modelStamp(dir: string): number {
  try {
    return fs.statSync(path.join(dir, 'model.json')).mtimeMs;
  } catch {
    return -1;
  }
}

export function describeImageModel(m: LoadedImageModel, dir: string): ImageModelDescription {
  return {
    dir,
    classes: m.classes,
    layers: imageLayers(m.model.architecture),
    shape: shapeOf(m),
    testDigits: isDigitModel(m) ? mnistTestDigits().count : 0,
  };
}

export function imageActivationsRequest(m: LoadedImageModel, input: ImageInputRef, top: number): ImageActivationsResult {
  const n = requireInteger(top, 'top', 0, 10_000);
  const data = readInput(m, input);
  const r = imageActivations(m.model, data.pixels);
  return {
    input: data,
    predicted: r.predicted,
    probabilities: Float32Array.from(r.probabilities),
    layers: r.layers.map((l) => ({ ...l, top: mostActiveUnits(l, n) })),
  };
}

/**
 * A gallery: each unit of `layer` maximised from noise in turn. The ascent of one unit runs
 * synchronously, so between units the request yields to the event loop, where a cancel message
 * can arrive; a cancelled gallery returns the units done so far.
 */
export async function imageMaximizeRequest(
  m: LoadedImageModel,
  params: { layer: string; units?: number[]; spatial?: 'centre' | 'mean'; settings?: Partial<Omit<MaximizeOptions, 'signal'>> },
  signal?: AbortSignal,
  progress?: (message: string, fraction: number) => void,
): Promise<ImageMaximizeResult> {
  const info = findImageLayer(m.model.architecture, requireString(params.layer, 'layer', { nonEmpty: true }));
  const count = info.shape[info.shape.length - 1]!;
  const units = params.units ?? Array.from({ length: count }, (_, i) => i);
  if (!Array.isArray(units) || units.length === 0 || units.length > MAX_GALLERY_UNITS)
    throw new NeuronLensError(`A gallery has 1 to ${MAX_GALLERY_UNITS} units; layer ${info.name} has ${count}: choose some`);
  units.forEach((u) => requireInteger(u, `${info.name} unit`, 0, count - 1));
  const spatial = params.spatial ?? 'centre';
  if (spatial !== 'centre' && spatial !== 'mean') throw new NeuronLensError(`spatial must be "centre" or "mean", not ${String(spatial)}`);
  const shape = shapeOf(m);
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(units.length * size);
  const done: ImageMaximizeResult['units'] = [];
  let settings = { ...DEFAULT_MAXIMIZE_OPTIONS, ...params.settings };
  for (const unit of units) {
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) break;
    progress?.(`${info.name} unit ${unit}`, done.length / units.length);
    let r: ReturnType<typeof maximizeActivation>;
    try {
      r = maximizeActivation(m.model, { layer: info.name, unit, spatial }, { ...params.settings, signal });
    } catch (e) {
      if (e instanceof CancelledError) break;
      throw e;
    }
    images.set(r.image, done.length * size);
    done.push({ unit, initialValue: r.initialValue, finalValue: r.finalValue });
    settings = r.settings;
  }
  return {
    layer: info.name,
    units: done,
    images: images.slice(0, done.length * size),
    shape,
    settings,
    cancelled: done.length < units.length,
  };
}

export function imageSaliencyRequest(m: LoadedImageModel, input: ImageInputRef, classIndex?: number): ImageSaliencyResult {
  const data = readInput(m, input);
  const r = saliencyMap(m.model, data.pixels, classIndex);
  return { input: data, map: r.map, classIndex: r.classIndex, score: r.score, predicted: r.predicted };
}

export function imageFoolRequest(
  m: LoadedImageModel,
  input: ImageInputRef,
  target: number,
  settings: Partial<Omit<FoolOptions, 'signal'>> = {},
  signal?: AbortSignal,
): ImageFoolResult {
  const data = readInput(m, input);
  throwIfAborted(signal, 'The fooling image');
  const {
    image,
    difference,
    shape: _shape,
    ...r
  } = foolingImage(m.model, data.pixels, target, {
    ...DEFAULT_FOOL_OPTIONS,
    ...settings,
    signal,
  });
  return { input: data, image, difference, ...r };
}

/** A pixel range: two finite numbers, the lower first. */
function requireRange(value: unknown, name: string): [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    value[0] >= value[1]
  )
    throw new NeuronLensError(`${name} must be two numbers [low, high] with low < high`);
  return [value[0] as number, value[1] as number];
}

type SettingCheck = (value: unknown, name: string) => unknown;
const stepsCheck: SettingCheck = (v, name) => requireInteger(v, name, 0, MAX_IMAGE_STEPS);
const nonNegative: SettingCheck = (v, name) => requireNumber(v, name, 0);
const seedCheck: SettingCheck = (v, name) => requireInteger(v, name, 0);

/**
 * Settings from another thread, each checked by its own rule; a name the optimisation does not
 * have is an error rather than silently ignored (a misspelt "lr" would otherwise run the default).
 */
function checkSettings<T extends object>(what: string, settings: unknown, rules: Record<keyof T & string, SettingCheck>): Partial<T> {
  if (settings === undefined) return {};
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
    throw new NeuronLensError(`${what} settings must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const rule = (rules as Record<string, SettingCheck>)[key];
    if (!rule) throw new NeuronLensError(`${what} has no setting "${key}"; its settings are ${Object.keys(rules).join(', ')}`);
    out[key] = rule(value, `${what} ${key}`);
  }
  return out as Partial<T>;
}

const INVERT_RULES: Record<keyof Omit<InvertOptions, 'signal'>, SettingCheck> = {
  steps: stepsCheck,
  learningRate: nonNegative,
  l2: nonNegative,
  tv: nonNegative,
  range: requireRange,
  noise: nonNegative,
  seed: seedCheck,
};

const DREAM_RULES: Record<keyof Omit<DreamOptions, 'signal'>, SettingCheck> = {
  steps: stepsCheck,
  learningRate: nonNegative,
  jitter: (v, name) => requireInteger(v, name, 0, 64),
  range: requireRange,
  seed: seedCheck,
};

/** Stepwise optimisations (inversion, DeepDream) as the worker runs them. */
interface StepwiseRun {
  readonly steps: number;
  step(): void;
}

/** Progress messages per run: enough for a smooth bar without flooding the host with messages. */
const PROGRESS_REPORTS = 50;

/**
 * Steps `run` to `total`, yielding to the event loop after every step so a cancel message can
 * arrive; stops early when cancelled. Returns whether it was.
 */
async function runSteps(
  run: StepwiseRun,
  total: number,
  label: string,
  signal?: AbortSignal,
  progress?: (message: string, fraction: number) => void,
): Promise<boolean> {
  const every = Math.max(1, Math.ceil(total / PROGRESS_REPORTS));
  while (run.steps < total) {
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) return true;
    run.step();
    if (run.steps % every === 0 || run.steps === total) progress?.(`${label}: step ${run.steps} of ${total}`, run.steps / total);
  }
  return false;
}

/** Feature inversion of the input's features at `layer`; a cancelled one returns the reconstruction so far. */
export async function imageInvertRequest(
  m: LoadedImageModel,
  params: { input: ImageInputRef; layer: string; settings?: Partial<Omit<InvertOptions, 'signal'>> },
  signal?: AbortSignal,
  progress?: (message: string, fraction: number) => void,
): Promise<ImageInvertResult> {
  const info = findImageLayer(m.model.architecture, requireString(params.layer, 'layer', { nonEmpty: true }));
  const settings = checkSettings<Omit<InvertOptions, 'signal'>>('Feature inversion', params.settings, INVERT_RULES);
  const data = readInput(m, params.input);
  const began = performance.now();
  const run = new FeatureInversionRun(m.model, data.pixels, info.name, settings);
  try {
    const cancelled = await runSteps(run, run.settings.steps, `Inverting ${info.name}`, signal, progress);
    const { image, shape: _shape, ...r } = run.result();
    return {
      input: data,
      layer: r.layer,
      image,
      initialRelativeError: r.initialRelativeError,
      finalRelativeError: r.finalRelativeError,
      distance: r.finalRelativeError * (r.featureNorm || 1),
      featureNorm: r.featureNorm,
      steps: r.steps,
      settings: r.settings,
      elapsedMs: performance.now() - began,
      cancelled,
    };
  } finally {
    run.dispose();
  }
}

/** DeepDream on the input at `layer`; a cancelled one returns the image so far. */
export async function imageDreamRequest(
  m: LoadedImageModel,
  params: { input: ImageInputRef; layer: string; settings?: Partial<Omit<DreamOptions, 'signal'>> },
  signal?: AbortSignal,
  progress?: (message: string, fraction: number) => void,
): Promise<ImageDreamResult> {
  const info = findImageLayer(m.model.architecture, requireString(params.layer, 'layer', { nonEmpty: true }));
  const settings = checkSettings<Omit<DreamOptions, 'signal'>>('DeepDream', params.settings, DREAM_RULES);
  const data = readInput(m, params.input);
  const began = performance.now();
  const run = new DeepDreamRun(m.model, data.pixels, info.name, settings);
  try {
    const cancelled = await runSteps(run, run.settings.steps, `Dreaming at ${info.name}`, signal, progress);
    const { image, shape: _shape, ...r } = run.result();
    return { input: data, ...r, image, elapsedMs: performance.now() - began, cancelled };
  } finally {
    run.dispose();
  }
}
