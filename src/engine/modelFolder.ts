import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types';
import { type LanguageModelArchitecture, validateArchitecture } from './architecture';
import { isTemporaryFile, writeFileAtomic } from '../shared/atomicWrite';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { LanguageModel, modelWeightSpecs } from './languageModel';
import { ModelTokenizer, type TokenizerJSON } from './modelTokenizer';
import type { HistoryPoint } from './trainer';

export const MODEL_FORMAT = 'neuron-lens-model';
export const FORMAT_VERSION = 1;
export const MODEL_FILE = 'model.json';
/** model.json is metadata and a vocabulary; anything bigger is not ours. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
export const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;
/** Weights and optimizer state together (Adam keeps two more copies of every weight). */
const MAX_TOTAL_BYTES = 3 * MAX_WEIGHT_BYTES;

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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Stats a file the folder's metadata names; it must be a regular file. */
function fileSize(dir: string, name: string, what: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path.join(dir, name));
  } catch {
    invalid(dir, `${what} ${name} is missing`);
  }
  if (!stat.isFile()) invalid(dir, `${what} ${name} is not a file`);
  return stat.size;
}

function readFile(dir: string, name: string, what: string): Buffer {
  try {
    return fs.readFileSync(path.join(dir, name));
  } catch (e) {
    invalid(dir, `cannot read ${what} ${name} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function readModelJSON(dir: string): ModelJSON {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new NeuronLensError(`Model folder not found: ${dir}`, 'not-found');
  }
  if (!stat.isDirectory()) invalid(dir, 'not a folder');
  if (!fs.existsSync(path.join(dir, MODEL_FILE))) invalid(dir, `${MODEL_FILE} is missing`);
  if (fileSize(dir, MODEL_FILE, 'the model file') > MAX_MODEL_JSON_BYTES)
    invalid(dir, `${MODEL_FILE} is larger than ${MAX_MODEL_JSON_BYTES / 1048576} MB`);
  let json: unknown;
  try {
    json = JSON.parse(readFile(dir, MODEL_FILE, 'the model file').toString('utf8'));
  } catch (e) {
    if (e instanceof NeuronLensError) throw e;
    invalid(dir, `${MODEL_FILE} is not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  if (!isObject(json) || json.format !== MODEL_FORMAT) {
    invalid(
      dir,
      `${MODEL_FILE} is not a Neuron Lens model (format ${describeValue(isObject(json) ? json.format : json)}, expected "${MODEL_FORMAT}")`,
    );
  }
  const topology = json.modelTopology;
  const version = isObject(topology) ? topology.formatVersion : undefined;
  if (version !== FORMAT_VERSION)
    invalid(dir, `unsupported format version ${describeValue(version)} (this version reads ${FORMAT_VERSION})`);
  return json as unknown as ModelJSON;
}

/** Longest weight name and most dimensions a manifest entry may have. */
const MAX_NAME_LENGTH = 1000;
const MAX_RANK = 8;

function validateGroup(dir: string, group: unknown, what: string): WeightsGroup {
  const g = group as Partial<WeightsGroup> | null;
  if (!isObject(g) || !Array.isArray(g.paths) || g.paths.length === 0 || g.paths.length > 1000 || !Array.isArray(g.weights))
    invalid(dir, `${what} manifest is malformed`);
  for (const p of g.paths) {
    // Only plain file names inside the folder: a manifest must not point elsewhere on disk.
    if (typeof p !== 'string' || p === '' || p !== path.basename(p) || p.startsWith('.') || p === MODEL_FILE)
      invalid(dir, `${what} manifest names an unsafe path ${describeValue(p)}`);
  }
  if (new Set(g.paths).size !== g.paths.length) invalid(dir, `${what} manifest names a file twice`);
  const names = new Set<string>();
  for (const w of g.weights) {
    const e = w as Partial<tf.io.WeightsManifestEntry>;
    if (
      !isObject(e) ||
      typeof e.name !== 'string' ||
      e.name === '' ||
      e.name.length > MAX_NAME_LENGTH ||
      e.name === '__proto__' ||
      !Array.isArray(e.shape) ||
      e.shape.length > MAX_RANK ||
      !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      invalid(dir, `${what} manifest has a malformed entry`);
    }
    if (names.has(e.name)) invalid(dir, `${what} manifest lists weight ${describeValue(e.name)} twice`);
    names.add(e.name);
    if (e.dtype !== 'float32' && !(what === 'optimizer' && e.dtype === 'int32'))
      invalid(dir, `weight ${describeValue(e.name)} has unsupported dtype ${describeValue(e.dtype)}`);
    if (e.quantization !== undefined) invalid(dir, `weight ${describeValue(e.name)} is quantized, which is not supported`);
  }
  return g as WeightsGroup;
}

/** Bytes a validated group's tensors take (4 per element: float32 or int32). */
function groupBytes(group: WeightsGroup): number {
  return group.weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
}

/** Checks sizes against the files on disk before anything is read or allocated. */
function checkGroupFiles(dir: string, group: WeightsGroup, what: string): number {
  const expected = groupBytes(group);
  if (expected > MAX_WEIGHT_BYTES) invalid(dir, `${what} would need ${(expected / 1048576).toFixed(0)} MB, more than the limit`);
  const actual = group.paths.reduce((sum, p) => sum + fileSize(dir, p, `${what} file`), 0);
  if (actual !== expected) {
    invalid(
      dir,
      `${what} file ${group.paths.join(', ')} has ${actual} bytes, expected ${expected}${actual < expected ? ' (truncated)' : ' (too long)'}`,
    );
  }
  return expected;
}

function readGroup(dir: string, group: WeightsGroup, what: string): tf.NamedTensorMap {
  const expected = checkGroupFiles(dir, group, what);
  const bytes = Buffer.concat(group.paths.map((p) => readFile(dir, p, `${what} file`)));
  // The files may have changed between the size check and the read.
  if (bytes.length !== expected) invalid(dir, `${what} file ${group.paths.join(', ')} changed while it was read`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return tf.io.decodeWeights(buffer, group.weights);
}

const OPTIONAL_NUMBERS = ['validationBits', 'unigramEntropyBits', 'tokensPerSecond', 'elapsedMs'] as const;

/**
 * Checks the training metadata front ends show (types only: the values are a record, not
 * instructions). NaN and Infinity, which JSON writes as null, read back as absent.
 */
function validateTraining(dir: string, t: unknown): TrainingMetadata | undefined {
  if (t === undefined) return undefined;
  const bad = (what: string): never => invalid(dir, `training metadata: ${what}`);
  if (!isObject(t)) return bad('not an object');
  if (typeof t.corpus !== 'string') bad('corpus must be a string');
  for (const key of ['steps', 'targetSteps'] as const)
    if (!Number.isSafeInteger(t[key]) || (t[key] as number) < 0) bad(`${key} must be a count`);
  if (typeof t.completed !== 'boolean') bad('completed must be true or false');
  for (const key of ['seqLen', 'batch', 'learningRate', 'clipNorm', 'seed'] as const) {
    if (typeof t[key] !== 'number') bad(`${key} must be a number`);
  }
  const out = { ...t } as Record<string, unknown>;
  for (const key of OPTIONAL_NUMBERS) {
    if (t[key] === null) delete out[key];
    else if (t[key] !== undefined && typeof t[key] !== 'number') bad(`${key} must be a number`);
  }
  if (t.backend !== undefined && typeof t.backend !== 'string') bad('backend must be a string');
  if (!Array.isArray(t.history)) return bad('history must be a list');
  out.history = t.history.map((p, i) => {
    if (!isObject(p) || typeof p.step !== 'number' || (typeof p.trainBits !== 'number' && p.trainBits !== null))
      bad(`history point ${i} is malformed`);
    const point = p as Record<string, unknown>;
    const { validationBits, ...rest } = point;
    if (validationBits !== undefined && validationBits !== null && typeof validationBits !== 'number')
      bad(`history point ${i} is malformed`);
    return typeof validationBits === 'number' ? { ...rest, validationBits } : rest;
  });
  return out as unknown as TrainingMetadata;
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
  if (!isObject(meta)) invalid(dir, 'userDefinedMetadata with the tokenizer is missing');
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
  const training = validateTraining(dir, meta.training);
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
  if (extra) invalid(dir, `the manifest has an unexpected weight ${describeValue(extra.name)}`);
  const optimizerGroup = meta.optimizer === undefined ? undefined : validateGroup(dir, meta.optimizer, 'optimizer');
  // Every size is checked against the limits and the files before anything is read or allocated.
  const total = checkGroupFiles(dir, group, 'weights') + (optimizerGroup ? checkGroupFiles(dir, optimizerGroup, 'optimizer') : 0);
  if (total > MAX_TOTAL_BYTES)
    invalid(dir, `weights and optimizer state would need ${(total / 1048576).toFixed(0)} MB, more than the limit`);
  const tensors = readGroup(dir, group, 'weights');
  let opt: tf.NamedTensorMap = {};
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (!(t.dataSync() as Float32Array).every(Number.isFinite)) invalid(dir, `weight ${name} contains NaN or infinite values`);
    }
    if (optimizerGroup) opt = readGroup(dir, optimizerGroup, 'optimizer');
    const optimizerWeights = optimizerGroup?.weights.map((w) => ({ name: w.name, tensor: opt[w.name]! }));
    const model = new LanguageModel(architecture, new Map(Object.entries(tensors)));
    return { model, tokenizer, training, optimizerWeights, dir };
  } catch (e) {
    tf.dispose(Object.values(opt));
    throw e;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Reads model.json alone (no weights): for `info` and listings. */
export function readModelInfo(dir: string): ModelJSON {
  const json = readModelJSON(dir);
  try {
    validateArchitecture(json.modelTopology.architecture);
  } catch (e) {
    invalid(dir, (e as Error).message.replace(/^Invalid model architecture: /, 'architecture: '));
  }
  return json;
}
