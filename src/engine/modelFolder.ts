import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import { type LanguageModelArchitecture, validateArchitecture } from './architecture';
import { isTemporaryFile, writeFileAtomic } from '../shared/atomicWrite';
import { NeuronLensError } from './errors';
import { LanguageModel, modelWeightSpecs } from './languageModel';
import { ModelTokenizer, type TokenizerJSON } from './modelTokenizer';
import type { HistoryPoint } from './trainer';

export const MODEL_FORMAT = 'neuron-lens-model';
export const FORMAT_VERSION = 1;
export const MODEL_FILE = 'model.json';
/** model.json is metadata and a vocabulary; anything bigger is not ours. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;

/** What a training run leaves in model.json, so a model says how it was made. */
export interface TrainingMetadata {
  corpus: string;
  steps: number;
  targetSteps: number;
  completed: boolean;
  seqLen: number;
  batch: number;
  learningRate: number;
  clipNorm: number;
  seed: number;
  validationBits?: number;
  unigramEntropyBits?: number;
  tokensPerSecond?: number;
  elapsedMs?: number;
  backend?: string;
  history: HistoryPoint[];
}

export interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/** model.json: a tfjs ModelJSON (modelTopology + weightsManifest) with our metadata. */
export interface ModelJSON {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  modelTopology: { formatVersion: number; architecture: LanguageModelArchitecture };
  weightsManifest: WeightsGroup[];
  userDefinedMetadata: {
    tokenizer: TokenizerJSON;
    training?: TrainingMetadata;
    optimizer?: WeightsGroup;
  };
}

export interface LoadedModel {
  model: LanguageModel;
  tokenizer: ModelTokenizer;
  training?: TrainingMetadata;
  /** Adam's state, when the folder is a training checkpoint (for resuming). */
  optimizerWeights?: NamedTensor[];
  dir?: string;
}

export const GENERATED_BY = 'neuron-lens 0.1.0';

function invalid(dir: string, what: string): never {
  throw new NeuronLensError(`Invalid model folder ${dir}: ${what}`, 'invalid-model');
}

async function writeBinary(dir: string, prefix: string, tensors: NamedTensor[]): Promise<WeightsGroup> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const bytes = new Uint8Array(data as ArrayBuffer);
  // Content-addressed names: the new model.json is the single atomic switch between versions.
  const name = `${prefix}-${crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.bin`;
  await writeFileAtomic(path.join(dir, name), bytes);
  return { paths: [name], weights: specs };
}

/**
 * Saves atomically: weight files first (under new names), then model.json by rename, then old
 * weight files are removed. A crash at any point leaves a folder that loads (old or new version).
 */
export async function saveModel(dir: string, m: Omit<LoadedModel, 'dir'>): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  const named = [...m.model.weights.entries()].map(([name, tensor]) => ({ name, tensor }));
  const weights = await writeBinary(dir, 'weights', named);
  const optimizer = m.optimizerWeights?.length ? await writeBinary(dir, 'optimizer', m.optimizerWeights) : undefined;
  const json: ModelJSON = {
    format: MODEL_FORMAT,
    generatedBy: GENERATED_BY,
    modelTopology: { formatVersion: FORMAT_VERSION, architecture: m.model.architecture },
    weightsManifest: [weights],
    userDefinedMetadata: {
      tokenizer: m.tokenizer.toJSON(),
      ...(m.training ? { training: m.training } : {}),
      ...(optimizer ? { optimizer } : {}),
    },
  };
  await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json, null, 1));
  const keep = new Set([MODEL_FILE, ...weights.paths, ...(optimizer?.paths ?? [])]);
  for (const f of await fs.promises.readdir(dir)) {
    if (!keep.has(f) && (/^(weights|optimizer)-[0-9a-f]+\.bin$/.test(f) || isTemporaryFile(f))) {
      await fs.promises.rm(path.join(dir, f), { force: true });
    }
  }
}

function readModelJSON(dir: string): ModelJSON {
  const file = path.join(dir, MODEL_FILE);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new NeuronLensError(`Model folder not found: ${dir}`, 'not-found');
  }
  if (!stat.isDirectory()) invalid(dir, 'not a folder');
  if (!fs.existsSync(file)) invalid(dir, `${MODEL_FILE} is missing`);
  if (fs.statSync(file).size > MAX_MODEL_JSON_BYTES) invalid(dir, `${MODEL_FILE} is larger than ${MAX_MODEL_JSON_BYTES / 1048576} MB`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    invalid(dir, `${MODEL_FILE} is not valid JSON (${(e as Error).message})`);
  }
  const j = json as Partial<ModelJSON> | null;
  if (!j || typeof j !== 'object' || j.format !== MODEL_FORMAT) {
    invalid(dir, `${MODEL_FILE} is not a Neuron Lens model (format ${JSON.stringify(j?.format)}, expected "${MODEL_FORMAT}")`);
  }
  const version = j.modelTopology?.formatVersion;
  if (version !== FORMAT_VERSION)
    invalid(dir, `unsupported format version ${JSON.stringify(version)} (this version reads ${FORMAT_VERSION})`);
  return j as ModelJSON;
}

function validateGroup(dir: string, group: unknown, what: string): WeightsGroup {
  const g = group as Partial<WeightsGroup> | null;
  if (!g || !Array.isArray(g.paths) || g.paths.length === 0 || !Array.isArray(g.weights)) invalid(dir, `${what} manifest is malformed`);
  for (const p of g.paths) {
    // Only plain file names inside the folder: a manifest must not point elsewhere on disk.
    if (typeof p !== 'string' || p !== path.basename(p) || p.startsWith('.'))
      invalid(dir, `${what} manifest names an unsafe path ${JSON.stringify(p)}`);
  }
  for (const w of g.weights) {
    const e = w as Partial<tf.io.WeightsManifestEntry>;
    if (typeof e?.name !== 'string' || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      invalid(dir, `${what} manifest has a malformed entry`);
    }
    if (e.dtype !== 'float32' && !(what === 'optimizer' && e.dtype === 'int32'))
      invalid(dir, `weight ${e.name} has unsupported dtype ${String(e.dtype)}`);
    if (e.quantization) invalid(dir, `weight ${e.name} is quantized, which is not supported`);
  }
  return g as WeightsGroup;
}

function readGroup(dir: string, group: WeightsGroup, what: string): tf.NamedTensorMap {
  const expected = group.weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (expected > MAX_WEIGHT_BYTES) invalid(dir, `${what} would need ${(expected / 1048576).toFixed(0)} MB, more than the limit`);
  const parts: Buffer[] = [];
  for (const p of group.paths) {
    const file = path.join(dir, p);
    if (!fs.existsSync(file)) invalid(dir, `${what} file ${p} is missing`);
    parts.push(fs.readFileSync(file));
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== expected) {
    invalid(
      dir,
      `${what} file ${group.paths.join(', ')} has ${bytes.length} bytes, expected ${expected}${bytes.length < expected ? ' (truncated)' : ''}`,
    );
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return tf.io.decodeWeights(buffer, group.weights);
}

/** Loads and validates a model folder; every problem becomes one message naming it. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const json = readModelJSON(dir);
  const architecture = json.modelTopology.architecture;
  try {
    validateArchitecture(architecture);
  } catch (e) {
    invalid(dir, (e as Error).message.replace(/^Invalid model architecture: /, 'architecture: '));
  }
  const meta = json.userDefinedMetadata;
  if (!meta || typeof meta !== 'object') invalid(dir, 'userDefinedMetadata with the tokenizer is missing');
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = ModelTokenizer.fromJSON(meta.tokenizer);
  } catch (e) {
    invalid(dir, `tokenizer: ${(e as Error).message}`);
  }
  if (tokenizer.vocabulary.size !== architecture.vocabSize) {
    invalid(dir, `the vocabulary has ${tokenizer.vocabulary.size} entries but the model expects ${architecture.vocabSize}`);
  }
  if (tokenizer.level !== architecture.level)
    invalid(dir, `tokenizer level ${tokenizer.level} does not match the model's ${architecture.level}`);
  if (!Array.isArray(json.weightsManifest) || json.weightsManifest.length !== 1)
    invalid(dir, 'weightsManifest must have exactly one group');
  const group = validateGroup(dir, json.weightsManifest[0], 'weights');
  const specs = modelWeightSpecs(architecture);
  for (const spec of specs) {
    const entry = group.weights.find((w) => w.name === spec.name);
    if (!entry) invalid(dir, `weight ${spec.name} is missing from the manifest`);
    if (!tf.util.arraysEqual(entry.shape, spec.shape)) {
      invalid(dir, `weight ${spec.name} has shape [${entry.shape.join(', ')}], the architecture needs [${spec.shape.join(', ')}]`);
    }
  }
  const extra = group.weights.find((w) => !specs.some((s) => s.name === w.name));
  if (extra) invalid(dir, `the manifest has an unexpected weight ${extra.name}`);
  const tensors = readGroup(dir, group, 'weights');
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (!(t.dataSync() as Float32Array).every(Number.isFinite)) invalid(dir, `weight ${name} contains NaN or infinite values`);
    }
    const model = new LanguageModel(architecture, new Map(Object.entries(tensors)));
    let optimizerWeights: NamedTensor[] | undefined;
    if (meta.optimizer) {
      const opt = readGroup(dir, validateGroup(dir, meta.optimizer, 'optimizer'), 'optimizer');
      optimizerWeights = meta.optimizer.weights.map((w) => ({ name: w.name, tensor: opt[w.name]! }));
    }
    return { model, tokenizer, training: meta.training, optimizerWeights, dir };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Reads model.json alone (no weights): for `info` and listings. */
export function readModelInfo(dir: string): ModelJSON {
  const json = readModelJSON(dir);
  validateArchitecture(json.modelTopology.architecture);
  return json;
}
