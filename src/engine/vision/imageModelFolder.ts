import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTemporaryFile, writeFileAtomic } from '../../shared/atomicWrite';
import { NeuronLensError } from '../errors';
import { describeValue } from '../../shared/errors';
import { FORMAT_VERSION, GENERATED_BY, MODEL_FILE, MODEL_FORMAT, type WeightsGroup } from '../modelFolder';
import { ImageClassifier } from './imageClassifier';
import { type ImageClassifierArchitecture, imageWeightSpecs, validateImageArchitecture } from './imageArchitecture';

const MAX_MODEL_JSON_BYTES = 16 * 1024 * 1024;
const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;
const MAX_CLASS_NAME = 200;

/** What a training run leaves in model.json, so a model says how it was made. */
export interface ImageTrainingMetadata {
  source: string;
  epochs: number;
  targetEpochs: number;
  completed: boolean;
  batch: number;
  learningRate: number;
  shift: number;
  schedule: 'cosine' | 'constant';
  seed: number;
  trainImages: number;
  testImages: number;
  testAccuracy?: number;
  /** confusion[true][predicted] on the test images. */
  confusion?: number[][];
  elapsedMs?: number;
  backend?: string;
}

/** model.json of an image classifier: a tfjs ModelJSON (modelTopology + weightsManifest) with our metadata. */
export interface ImageModelJSON {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  task: 'image-classifier';
  modelTopology: { formatVersion: number; architecture: ImageClassifierArchitecture };
  weightsManifest: WeightsGroup[];
  userDefinedMetadata: {
    classes: string[];
    /** How files are turned into inputs, so front ends prepare them the same way. */
    preprocessing: string;
    training?: ImageTrainingMetadata;
  };
}

export const IMAGE_PREPROCESSING =
  'PNG/JPEG decoded, alpha composited over black, grey = Rec. 601 luma, area-averaged resize to height × width, values in [0, 1]';

export interface LoadedImageModel {
  model: ImageClassifier;
  classes: string[];
  training?: ImageTrainingMetadata;
  dir?: string;
}

function invalid(dir: string, what: string): never {
  throw new NeuronLensError(`Invalid image model folder ${dir}: ${what}`, 'invalid-model');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Saves atomically: the weight file first under a content-addressed name, then model.json by
 * rename (the single switch between versions), then stale weight files are removed.
 */
export async function saveImageModel(dir: string, m: Omit<LoadedImageModel, 'dir'>): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  const named = [...m.model.weights.entries()].map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(data as ArrayBuffer);
  const name = `weights-${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.bin`;
  await writeFileAtomic(path.join(dir, name), bytes);
  const json: ImageModelJSON = {
    format: MODEL_FORMAT,
    generatedBy: GENERATED_BY,
    task: 'image-classifier',
    modelTopology: { formatVersion: FORMAT_VERSION, architecture: m.model.architecture },
    weightsManifest: [{ paths: [name], weights: specs }],
    userDefinedMetadata: { classes: m.classes, preprocessing: IMAGE_PREPROCESSING, ...(m.training ? { training: m.training } : {}) },
  };
  await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json, null, 1));
  for (const f of await fs.promises.readdir(dir)) {
    if (f !== name && (/^weights-[0-9a-f]+\.bin$/.test(f) || isTemporaryFile(f))) await fs.promises.rm(path.join(dir, f), { force: true });
  }
}

function statFile(dir: string, name: string, what: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path.join(dir, name));
  } catch {
    invalid(dir, `${what} ${name} is missing`);
  }
  if (!stat.isFile()) invalid(dir, `${what} ${name} is not a file`);
  return stat.size;
}

/** Reads and checks model.json alone (no weights): for listings and for telling model kinds apart. */
export function readImageModelInfo(dir: string): ImageModelJSON {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new NeuronLensError(`Model folder not found: ${dir}`, 'not-found');
  }
  if (!stat.isDirectory()) invalid(dir, 'not a folder');
  if (statFile(dir, MODEL_FILE, 'the model file') > MAX_MODEL_JSON_BYTES)
    invalid(dir, `${MODEL_FILE} is larger than ${MAX_MODEL_JSON_BYTES / 1048576} MB`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
  } catch (e) {
    invalid(dir, `${MODEL_FILE} is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  if (!isObject(json) || json.format !== MODEL_FORMAT)
    invalid(
      dir,
      `${MODEL_FILE} is not a Neuron Lens model (format ${describeValue(isObject(json) ? json.format : json)}, expected "${MODEL_FORMAT}")`,
    );
  if (json.task !== 'image-classifier')
    invalid(dir, `it holds a ${describeValue(json.task ?? 'language-model')} model, not an image classifier`);
  const topology = json.modelTopology;
  const version = isObject(topology) ? topology.formatVersion : undefined;
  if (version !== FORMAT_VERSION)
    invalid(dir, `unsupported format version ${describeValue(version)} (this version reads ${FORMAT_VERSION})`);
  try {
    validateImageArchitecture((topology as Record<string, unknown>).architecture);
  } catch (e) {
    invalid(dir, (e as Error).message.replace(/^Invalid image model architecture: /, 'architecture: '));
  }
  const architecture = (topology as { architecture: ImageClassifierArchitecture }).architecture;
  const meta = json.userDefinedMetadata;
  if (!isObject(meta) || !Array.isArray(meta.classes)) invalid(dir, 'userDefinedMetadata.classes (the class names) is missing');
  const classes = meta.classes as unknown[];
  if (classes.length !== architecture.numClasses)
    invalid(dir, `${classes.length} class names for a model with ${architecture.numClasses} classes`);
  if (!classes.every((c) => typeof c === 'string' && c.length > 0 && c.length <= MAX_CLASS_NAME))
    invalid(dir, 'class names must be short non-empty strings');
  if (meta.training !== undefined && !isObject(meta.training)) invalid(dir, 'training metadata is not an object');
  return json as unknown as ImageModelJSON;
}

function validateManifest(dir: string, json: ImageModelJSON): WeightsGroup {
  if (!Array.isArray(json.weightsManifest) || json.weightsManifest.length !== 1)
    invalid(dir, 'weightsManifest must have exactly one group');
  const g = json.weightsManifest[0] as Partial<WeightsGroup> | undefined;
  if (!isObject(g) || !Array.isArray(g.paths) || g.paths.length !== 1 || !Array.isArray(g.weights))
    invalid(dir, 'the weights manifest is malformed');
  const file = g.paths[0];
  // Only a plain file name inside the folder: a manifest must not point elsewhere on disk.
  if (typeof file !== 'string' || file === '' || file !== path.basename(file) || file.startsWith('.') || file === MODEL_FILE)
    invalid(dir, `the weights manifest names an unsafe path ${describeValue(file)}`);
  const specs = imageWeightSpecs(json.modelTopology.architecture);
  if (g.weights.length !== specs.length)
    invalid(dir, `the manifest lists ${g.weights.length} weights, the architecture has ${specs.length}`);
  specs.forEach((spec, i) => {
    const e = g.weights![i] as Partial<tf.io.WeightsManifestEntry> | undefined;
    if (!isObject(e) || e.name !== spec.name)
      invalid(dir, `manifest entry ${i + 1} should be weight ${spec.name}, found ${describeValue(isObject(e) ? e.name : e)}`);
    if (!Array.isArray(e.shape) || !tf.util.arraysEqual(e.shape, spec.shape))
      invalid(
        dir,
        `weight ${spec.name} has shape ${Array.isArray(e.shape) ? `[${e.shape.map(describeValue).join(', ')}]` : describeValue(e.shape)}, the architecture needs [${spec.shape.join(', ')}]`,
      );
    if (e.dtype !== 'float32') invalid(dir, `weight ${spec.name} has unsupported dtype ${describeValue(e.dtype)}`);
    if (e.quantization !== undefined) invalid(dir, `weight ${spec.name} is quantized, which is not supported`);
  });
  return g as WeightsGroup;
}

/** Loads and validates an image model folder; every problem becomes one message naming it. */
export async function loadImageModel(dir: string): Promise<LoadedImageModel> {
  const json = readImageModelInfo(dir);
  const group = validateManifest(dir, json);
  const specs = imageWeightSpecs(json.modelTopology.architecture);
  const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (expected > MAX_WEIGHT_BYTES) invalid(dir, `the weights would need ${(expected / 1048576).toFixed(0)} MB, more than the limit`);
  const file = group.paths[0]!;
  const actual = statFile(dir, file, 'weights file');
  if (actual !== expected)
    invalid(dir, `weights file ${file} has ${actual} bytes, expected ${expected}${actual < expected ? ' (truncated)' : ' (too long)'}`);
  const bytes = fs.readFileSync(path.join(dir, file));
  // The file may have changed between the size check and the read.
  if (bytes.length !== expected) invalid(dir, `weights file ${file} changed while it was read`);
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  if (!values.every(Number.isFinite)) invalid(dir, 'the weights contain NaN or infinite values');
  const tensors = tf.io.decodeWeights(values.buffer, group.weights);
  try {
    const model = new ImageClassifier(json.modelTopology.architecture, new Map(Object.entries(tensors)));
    return { model, classes: json.userDefinedMetadata.classes, training: json.userDefinedMetadata.training, dir };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
