import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { LIMITS, type LanguageModelArchitecture, type LayerSpec, describeArchitecture, validateArchitecture } from './architecture';
import type { ActivationName } from './cells/activationFunctions';
import type { CellKind } from './cells/recurrentCell';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { fitVocabulary, inferLevel, parseVocabularyFile } from './importVocabulary';
import { LanguageModel } from './languageModel';
import { saveModel } from './modelFolder';
import { ModelTokenizer } from './modelTokenizer';
import type { TokenLevel } from './tokenizer';
import { Vocabulary } from './vocabulary';

/**
 * Import of TensorFlow.js Layers models (the `model.json` + binary shards that
 * `tensorflowjs_converter` writes from Keras, or tfjs-layers' own `model.save`) into the
 * instrumented cells. The files are read as data only: the topology is JSON that is checked layer
 * by layer, and every weight's shape and the shards' byte sizes are checked before anything is
 * read or allocated.
 *
 * Supported: [InputLayer] → [Embedding] → SimpleRNN | LSTM | GRU (one or more, of one kind) →
 * Dense or TimeDistributed(Dense) with softmax or linear activation over the input vocabulary
 * (a language model), with Dropout / SpatialDropout1D anywhere (identity at inference) and an
 * optional Activation(softmax | linear) after the Dense.
 */

const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;

export const SUPPORTED_LAYERS = 'InputLayer, Embedding, SimpleRNN, LSTM, GRU, Dense, TimeDistributed(Dense), Dropout, Activation';

const RECURRENT_CLASSES: Record<string, CellKind> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const IDENTITY_CLASSES = new Set(['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);
const NOT_YET: Record<string, string> = {
  Bidirectional: 'Bidirectional layers are not supported yet (only forward, left-to-right recurrent layers are)',
  Masking: 'Masking layers are not supported (every token is read, none skipped)',
  CuDNNLSTM: 'CuDNNLSTM layers are not supported; re-save the model with a plain LSTM layer',
  CuDNNGRU: 'CuDNNGRU layers are not supported; re-save the model with a plain GRU layer',
};

export interface LayersImportOptions {
  /** Path of the Layers model's model.json (shards next to it). */
  modelJson: string;
  /** Keras Tokenizer JSON, `{token: id}` JSON, JSON list or one-token-per-line file. */
  vocab?: string;
  /** Tokenization level; default: the tokenizer file's `char_level`, else guessed from the tokens. */
  level?: TokenLevel;
}

export interface LayersImportResult {
  model: LanguageModel;
  tokenizer: ModelTokenizer;
  /** Things the user should know: ignored layers, vocabulary gaps, lower-casing… */
  notes: string[];
  /** One line per imported Keras layer: `lstm (LSTM) → layers/0`. */
  mapping: string[];
}

interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

interface RecurrentPlan {
  layer: KerasLayer;
  kind: CellKind;
  units: number;
  activation: ActivationName;
  recurrentActivation: ActivationName;
  useBias: boolean;
  returnSequences: boolean;
}

interface Plan {
  embedding?: { layer: KerasLayer; inputDim: number; outputDim: number };
  recurrent: RecurrentPlan[];
  dense?: { layer: KerasLayer; units: number; useBias: boolean };
  /** Input width when there is no Embedding (one-hot inputs). */
  oneHotInput?: number;
  notes: string[];
}

function fail(file: string, what: string): never {
  throw new NeuronLensError(`Cannot import ${file}: ${what}`, 'invalid-model');
}

/** A name from the file, shortened for messages (a hostile file cannot flood them). */
function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function layerLabel(l: KerasLayer): string {
  return `"${clip(l.name)}" (${clip(l.className)})`;
}

function readJson(file: string): Record<string, unknown> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new NeuronLensError(`Layers model not found: ${file}`, 'not-found');
  }
  if (stat.isDirectory()) fail(file, 'this is a folder; give the path of its model.json');
  if (stat.size > MAX_MODEL_JSON_BYTES) fail(file, `larger than ${MAX_MODEL_JSON_BYTES / 1048576} MB, not a model.json`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(file, 'not a JSON object');
  return json as Record<string, unknown>;
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The Keras layer list of a Sequential or a linear functional model. */
function kerasLayers(file: string, json: Record<string, unknown>): { layers: KerasLayer[]; kerasVersion: string } {
  if (json.format === 'neuron-lens-model') fail(file, 'this is already a Neuron Lens model folder; load it directly');
  if (json.format === 'graph-model') {
    fail(file, 'this is a TensorFlow.js graph model; convert the Keras model with --output_format tfjs_layers_model instead');
  }
  const topology = asObject(json.modelTopology);
  if (!topology) fail(file, 'modelTopology is missing (not a TensorFlow.js Layers model)');
  const modelConfig = asObject(topology.model_config) ?? topology;
  const className = modelConfig.class_name;
  const kerasVersion = clip(String(topology.keras_version ?? modelConfig.keras_version ?? ''));
  const cfg = modelConfig.config;
  const rawLayers = Array.isArray(cfg) ? cfg : asObject(cfg)?.layers;
  if (!Array.isArray(rawLayers)) fail(file, `the ${describeValue(className)} model's layer list is missing`);
  if (className !== 'Sequential' && className !== 'Model' && className !== 'Functional') {
    fail(file, `the model class ${describeValue(className)} is not supported (Sequential or a functional Model)`);
  }
  const layers = rawLayers.map((raw, i): KerasLayer => {
    const l = asObject(raw);
    const config = asObject(l?.config);
    if (!l || typeof l.class_name !== 'string' || !config) fail(file, `layer ${i} is malformed`);
    const name = typeof config.name === 'string' ? config.name : typeof l.name === 'string' ? l.name : `layer_${i}`;
    return { className: l.class_name, name, config };
  });
  if (className !== 'Sequential') checkLinearChain(file, rawLayers as Record<string, unknown>[], layers);
  return { layers, kerasVersion };
}

/** The names of the layers a functional layer's inbound nodes refer to (Keras 2 and 3 forms). */
function inboundNames(node: unknown, out: Set<string>, depth = 0): void {
  if (depth > 32) return;
  if (Array.isArray(node)) {
    if (typeof node[0] === 'string' && typeof node[1] === 'number') out.add(node[0]);
    else for (const x of node) inboundNames(x, out, depth + 1);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o.keras_history) && typeof o.keras_history[0] === 'string') out.add(o.keras_history[0]);
    else for (const x of Object.values(o)) inboundNames(x, out, depth + 1);
  }
}

/** A functional model must be a plain chain: each layer reads the previous one only. */
function checkLinearChain(file: string, raw: Record<string, unknown>[], layers: KerasLayer[]): void {
  layers.forEach((l, i) => {
    const names = new Set<string>();
    inboundNames(raw[i]!.inbound_nodes, names);
    if (i === 0) {
      if (names.size > 0) fail(file, `layer ${layerLabel(l)} reads from ${[...names].join(', ')}; the first layer must be the input`);
      return;
    }
    const previous = layers[i - 1]!.name;
    if (names.size !== 1 || !names.has(previous)) {
      fail(
        file,
        `layer ${layerLabel(l)} reads from ${[...names].join(', ') || 'nothing'}, not just "${previous}": only models that are a single chain of layers can be imported`,
      );
    }
  });
}

function activationOf(file: string, layer: KerasLayer, key: string, fallback: string, kerasVersion: string): ActivationName {
  let v: unknown = layer.config[key] ?? fallback;
  const o = asObject(v);
  if (o && typeof o.class_name === 'string') v = o.class_name;
  const names: Record<string, ActivationName> = {
    tanh: 'tanh',
    sigmoid: 'sigmoid',
    hard_sigmoid: 'hardSigmoid',
    hardSigmoid: 'hardSigmoid',
    relu: 'relu',
    linear: 'linear',
  };
  const name = typeof v === 'string' ? names[v] : undefined;
  if (!name) {
    fail(
      file,
      `layer ${layerLabel(layer)} uses the ${key} ${describeValue(v)}, which is not supported (tanh, sigmoid, hard_sigmoid, relu, linear)`,
    );
  }
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; the cells implement Keras 2's and tfjs-layers'.
  if (name === 'hardSigmoid' && /^3\./.test(kerasVersion)) {
    fail(file, `layer ${layerLabel(layer)} uses Keras 3's hard_sigmoid (relu6(x + 3) / 6), which the cells do not implement`);
  }
  return name;
}

function positiveInt(file: string, layer: KerasLayer, key: string, max: number): number {
  const v = layer.config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    fail(file, `layer ${layerLabel(layer)} has ${key} ${describeValue(v)}, expected an integer in [1, ${max}]`);
  }
  return v;
}

function lastDimOfInputShape(layer: KerasLayer): number | undefined {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape ?? layer.config.input_shape;
  if (Array.isArray(shape) && typeof shape[shape.length - 1] === 'number') return shape[shape.length - 1] as number;
  if (typeof layer.config.input_dim === 'number') return layer.config.input_dim;
  return undefined;
}

/** Walks the layers and decides what each becomes; every refusal names the layer. */
function plan(file: string, layers: KerasLayer[], kerasVersion: string): Plan {
  const p: Plan = { recurrent: [], notes: [] };
  let afterDense = false;
  for (const layer of layers) {
    const cls = layer.className;
    if (cls === 'InputLayer') {
      if (p.recurrent.length === 0 && !p.embedding) p.oneHotInput = lastDimOfInputShape(layer);
      continue;
    }
    if (IDENTITY_CLASSES.has(cls)) {
      p.notes.push(`layer ${layerLabel(layer)} is ignored (inactive at inference)`);
      continue;
    }
    if (afterDense) {
      const act = layer.config.activation;
      if (cls === 'Activation' && (act === 'softmax' || act === 'linear')) continue;
      fail(file, `layer ${layerLabel(layer)} follows the output Dense layer; only a softmax or linear Activation may`);
    }
    if (NOT_YET[cls]) fail(file, `layer ${layerLabel(layer)}: ${NOT_YET[cls]}`);
    if (cls === 'Embedding') {
      if (p.embedding || p.recurrent.length > 0) fail(file, `layer ${layerLabel(layer)}: an Embedding must be the first layer`);
      const inputDim = positiveInt(file, layer, 'input_dim', LIMITS.maxVocab);
      const outputDim = positiveInt(file, layer, 'output_dim', LIMITS.maxEmbedding);
      if (layer.config.mask_zero === true) {
        p.notes.push(`Embedding ${layerLabel(layer)} masks id 0 (mask_zero); here id 0 (<unk>) is read like any token`);
      }
      p.embedding = { layer, inputDim, outputDim };
      continue;
    }
    const kind = RECURRENT_CLASSES[cls];
    if (kind) {
      if (p.recurrent.length === 0 && !p.embedding) p.oneHotInput ??= lastDimOfInputShape(layer);
      const previous = p.recurrent[p.recurrent.length - 1];
      if (previous && previous.kind !== kind) {
        fail(file, `layer ${layerLabel(layer)} follows a ${previous.layer.className} layer: a stack must use one kind of recurrent layer`);
      }
      if (previous && !previous.returnSequences) {
        fail(
          file,
          `layer ${layerLabel(previous.layer)} returns only its last step (return_sequences false) but feeds another recurrent layer`,
        );
      }
      if (layer.config.go_backwards === true)
        fail(file, `layer ${layerLabel(layer)} reads backwards (go_backwards), which is not supported`);
      if (layer.config.return_state === true)
        fail(file, `layer ${layerLabel(layer)} returns its state (return_state), which is not supported`);
      if (layer.config.time_major === true) fail(file, `layer ${layerLabel(layer)} is time-major, which is not supported`);
      const units = positiveInt(file, layer, 'units', LIMITS.maxUnits);
      const recurrentFallback = kerasVersion.startsWith('tfjs') ? 'hard_sigmoid' : 'sigmoid';
      p.recurrent.push({
        layer,
        kind,
        units,
        activation: activationOf(file, layer, 'activation', 'tanh', kerasVersion),
        recurrentActivation:
          kind === 'rnn' ? 'sigmoid' : activationOf(file, layer, 'recurrent_activation', recurrentFallback, kerasVersion),
        useBias: layer.config.use_bias !== false,
        returnSequences: layer.config.return_sequences === true,
      });
      continue;
    }
    let dense: KerasLayer | undefined;
    if (cls === 'Dense') dense = layer;
    if (cls === 'TimeDistributed') {
      const inner = asObject(layer.config.layer);
      const innerConfig = asObject(inner?.config);
      if (inner?.class_name !== 'Dense' || !innerConfig) {
        fail(
          file,
          `layer ${layerLabel(layer)} wraps a ${describeValue(inner?.class_name)} layer; only TimeDistributed(Dense) is supported`,
        );
      }
      dense = { className: 'Dense', name: layer.name, config: innerConfig };
    }
    if (dense) {
      if (p.recurrent.length === 0) fail(file, `layer ${layerLabel(layer)}: a Dense layer before any recurrent layer is not supported`);
      const act = dense.config.activation ?? 'linear';
      if (act !== 'softmax' && act !== 'linear') {
        fail(
          file,
          `layer ${layerLabel(layer)} has activation ${describeValue(act)}; the output layer must be softmax or linear (one output Dense layer is supported)`,
        );
      }
      p.dense = { layer, units: positiveInt(file, dense, 'units', LIMITS.maxVocab), useBias: dense.config.use_bias !== false };
      afterDense = true;
      continue;
    }
    fail(file, `layer ${layerLabel(layer)} is not supported (supported layers: ${SUPPORTED_LAYERS})`);
  }
  if (p.recurrent.length === 0) fail(file, 'the model has no SimpleRNN, LSTM or GRU layer');
  if (p.recurrent.length > LIMITS.maxLayers)
    fail(file, `the model has ${p.recurrent.length} recurrent layers, more than ${LIMITS.maxLayers}`);
  if (!p.dense) fail(file, 'the model has no output Dense layer after its recurrent layers');
  const vocab = p.embedding?.inputDim ?? p.oneHotInput;
  if (vocab !== undefined && p.dense.units !== vocab) {
    fail(
      file,
      `the output layer ${layerLabel(p.dense.layer)} has ${p.dense.units} units but the input vocabulary has ${vocab}: classifier heads are not supported yet (only language models, which predict the next token)`,
    );
  }
  const last = p.recurrent[p.recurrent.length - 1]!;
  if (!last.returnSequences) {
    p.notes.push(
      `layer ${layerLabel(last.layer)} returns only its last step in Keras; here every token gets a prediction (the last one is Keras')`,
    );
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Weights

interface ManifestEntry {
  name: string;
  shape: number[];
  group: number;
}

interface Manifest {
  groups: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  entries: ManifestEntry[];
}

function readManifest(file: string, json: Record<string, unknown>): Manifest {
  const raw = json.weightsManifest;
  if (!Array.isArray(raw) || raw.length === 0) fail(file, 'weightsManifest is missing or empty');
  const entries: ManifestEntry[] = [];
  const groups = raw.map((g, gi) => {
    const group = asObject(g);
    if (!group || !Array.isArray(group.paths) || group.paths.length === 0 || !Array.isArray(group.weights)) {
      fail(file, `weightsManifest group ${gi} is malformed`);
    }
    for (const p of group.paths) {
      // Shards are files next to model.json: no absolute paths, URLs or climbing out of the folder.
      if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || /^[a-z][a-z0-9+.-]*:/i.test(p) || p.split(/[\\/]/).includes('..')) {
        fail(file, `the weights manifest names an unsafe shard path ${describeValue(p)}`);
      }
    }
    for (const w of group.weights as unknown[]) {
      const e = asObject(w);
      const shape = e?.shape;
      if (typeof e?.name !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 1 << 30)) {
        fail(file, `weightsManifest group ${gi} has a malformed entry`);
      }
      if (e.dtype !== 'float32')
        fail(file, `weight ${clip(e.name)} has dtype ${describeValue(e.dtype)}; only float32 weights are supported`);
      if (e.quantization) fail(file, `weight ${clip(e.name)} is quantized; convert the model without quantization`);
      entries.push({ name: e.name, shape: shape as number[], group: gi });
    }
    return { paths: group.paths as string[], weights: group.weights as tf.io.WeightsManifestEntry[] };
  });
  return { groups, entries };
}

/** The manifest entries of one Keras layer, by their last name segment (`kernel`, `bias`…). */
function layerWeights(manifest: Manifest, layerName: string): Map<string, ManifestEntry> {
  const strip = (n: string) => n.replace(/:\d+$/, '').split('/');
  let matches = manifest.entries.filter((e) => strip(e.name)[0] === layerName);
  if (matches.length === 0) matches = manifest.entries.filter((e) => strip(e.name).slice(1, -1).includes(layerName));
  const byPart = new Map<string, ManifestEntry>();
  for (const e of matches) {
    const part = strip(e.name).pop()!;
    if (!byPart.has(part)) byPart.set(part, e);
  }
  return byPart;
}

interface Mapped {
  /** Our weight name → how to get it. */
  target: string;
  source?: ManifestEntry;
  /** Row of a [2, n] source (GRU reset_after biases). */
  row?: number;
  /** Shape of our weight; zeros when there is no source (use_bias false). */
  shape: number[];
}

function expectShape(file: string, layer: KerasLayer, part: string, entry: ManifestEntry | undefined, shape: number[]): ManifestEntry {
  if (!entry) fail(file, `the weights of layer ${layerLabel(layer)} have no ${part} in the weights manifest`);
  if (!tf.util.arraysEqual(entry.shape, shape)) {
    fail(
      file,
      `weight ${clip(entry.name)} of layer ${layerLabel(layer)} has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`,
    );
  }
  return entry;
}

/** Decides, from the manifest alone, which entry fills which of our weights (shapes checked). */
function mapWeights(file: string, p: Plan, manifest: Manifest): { arch: LanguageModelArchitecture; mapped: Mapped[]; mapping: string[] } {
  const mapped: Mapped[] = [];
  const mapping: string[] = [];
  let vocab: number;
  let inputSize: number;
  if (p.embedding) {
    const { layer, inputDim, outputDim } = p.embedding;
    const e = expectShape(file, layer, 'embeddings', layerWeights(manifest, layer.name).get('embeddings'), [inputDim, outputDim]);
    mapped.push({ target: 'embedding', source: e, shape: [inputDim, outputDim] });
    mapping.push(`${layerLabel(layer)} → embedding [${inputDim}, ${outputDim}]`);
    vocab = inputDim;
    inputSize = outputDim;
  } else {
    // One-hot inputs: the vocabulary is the first kernel's input width.
    const first = p.recurrent[0]!;
    const kernel = layerWeights(manifest, first.layer.name).get('kernel');
    if (!kernel || kernel.shape.length !== 2) fail(file, `the weights of layer ${layerLabel(first.layer)} have no 2-D kernel`);
    vocab = p.oneHotInput ?? kernel.shape[0]!;
    inputSize = vocab;
    if (p.dense!.units !== vocab) {
      fail(
        file,
        `the output layer has ${p.dense!.units} units but the input has ${vocab} features: classifier heads are not supported yet`,
      );
    }
  }
  const layers: LayerSpec[] = [];
  p.recurrent.forEach((r, i) => {
    const gates = r.kind === 'lstm' ? 4 : r.kind === 'gru' ? 3 : 1;
    const width = gates * r.units;
    const w = layerWeights(manifest, r.layer.name);
    const kernel = expectShape(file, r.layer, 'kernel', w.get('kernel'), [inputSize, width]);
    const recurrent = expectShape(file, r.layer, 'recurrent_kernel', w.get('recurrent_kernel'), [r.units, width]);
    mapped.push({ target: `layers/${i}/kernel`, source: kernel, shape: [inputSize, width] });
    mapped.push({ target: `layers/${i}/recurrent_kernel`, source: recurrent, shape: [r.units, width] });
    const bias = r.useBias ? w.get('bias') : undefined;
    if (r.useBias && !bias) fail(file, `the weights of layer ${layerLabel(r.layer)} have no bias in the weights manifest`);
    // GRU: Keras' reset_after stores [2, 3·units] (input bias, recurrent bias); trust the shape,
    // and check it against the config when the config says.
    let resetAfter = false;
    if (r.kind === 'gru') {
      resetAfter = bias ? bias.shape.length === 2 : r.layer.config.reset_after === true;
      const said = r.layer.config.reset_after;
      if (typeof said === 'boolean' && said !== resetAfter) {
        fail(file, `layer ${layerLabel(r.layer)} says reset_after ${String(said)} but its bias has shape [${bias!.shape.join(', ')}]`);
      }
    }
    if (resetAfter) {
      const b = bias ? expectShape(file, r.layer, 'bias', bias, [2, width]) : undefined;
      mapped.push({ target: `layers/${i}/bias`, source: b, row: 0, shape: [width] });
      mapped.push({ target: `layers/${i}/recurrent_bias`, source: b, row: 1, shape: [width] });
    } else {
      const b = bias ? expectShape(file, r.layer, 'bias', bias, [width]) : undefined;
      mapped.push({ target: `layers/${i}/bias`, source: b, shape: [width] });
    }
    layers.push({
      units: r.units,
      activation: r.activation,
      recurrentActivation: r.recurrentActivation,
      resetAfter: r.kind === 'gru' ? resetAfter : true,
    });
    const acts = r.kind === 'rnn' ? r.activation : `${r.activation}, gates ${r.recurrentActivation}`;
    mapping.push(
      `${layerLabel(r.layer)} → layers/${i}: ${r.kind.toUpperCase()} ${r.units} units (${acts}${r.kind === 'gru' ? `, reset_after ${resetAfter}` : ''})`,
    );
    inputSize = r.units;
  });
  const dense = p.dense!;
  const dw = layerWeights(manifest, dense.layer.name);
  const kernel = expectShape(file, dense.layer, 'kernel', dw.get('kernel'), [inputSize, vocab]);
  mapped.push({ target: 'output/kernel', source: kernel, shape: [inputSize, vocab] });
  const bias = dense.useBias ? expectShape(file, dense.layer, 'bias', dw.get('bias'), [vocab]) : undefined;
  mapped.push({ target: 'output/bias', source: bias, shape: [vocab] });
  mapping.push(`${layerLabel(dense.layer)} → output [${inputSize}, ${vocab}]`);
  const arch: LanguageModelArchitecture = {
    task: 'language-model',
    cell: p.recurrent[0]!.kind,
    level: 'char',
    vocabSize: vocab,
    embeddingSize: p.embedding ? p.embedding.outputDim : 0,
    layers,
    dropout: 0,
  };
  if (vocab < 2) fail(file, `the vocabulary has ${vocab} entries; at least 2 are needed`);
  return { arch, mapped, mapping };
}

/** Reads the shards of the groups that hold needed weights, after checking their sizes. */
function readWeights(file: string, manifest: Manifest, needed: Set<number>): tf.NamedTensorMap {
  const dir = path.dirname(file);
  let total = 0;
  const plans = [...needed].map((gi) => {
    const group = manifest.groups[gi]!;
    const expected = group.weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    total += expected;
    const files = group.paths.map((p) => path.join(dir, p));
    return { group, expected, files };
  });
  if (total > MAX_WEIGHT_BYTES) fail(file, `the weights would need ${(total / 1048576).toFixed(0)} MB, more than the limit`);
  const out: tf.NamedTensorMap = {};
  for (const { group, expected, files } of plans) {
    let size = 0;
    for (const f of files) {
      let st: fs.Stats;
      try {
        st = fs.statSync(f);
      } catch {
        fail(file, `weight shard ${path.relative(dir, f)} is missing`);
      }
      if (!st.isFile()) fail(file, `weight shard ${path.relative(dir, f)} is not a file`);
      size += st.size;
    }
    if (size !== expected) {
      const names = group.paths.join(', ');
      fail(
        file,
        `weight shard${files.length > 1 ? 's' : ''} ${names} ${files.length > 1 ? 'have' : 'has'} ${size} bytes, the manifest needs ${expected}${size < expected ? ' (truncated or corrupt)' : ''}`,
      );
    }
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    if (bytes.length !== expected) fail(file, `weight shards ${group.paths.join(', ')} changed while being read`);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    Object.assign(out, tf.io.decodeWeights(buffer, group.weights));
  }
  return out;
}

/** Builds our weights from the decoded ones (row split for GRU biases, zeros for use_bias false). */
function buildWeights(file: string, mapped: Mapped[], decoded: tf.NamedTensorMap): Map<string, tf.Tensor> {
  const weights = new Map<string, tf.Tensor>();
  for (const m of mapped) {
    if (!m.source) {
      weights.set(m.target, tf.zeros(m.shape));
      continue;
    }
    const t = decoded[m.source.name];
    if (!t) fail(file, `weight ${clip(m.source.name)} could not be decoded`);
    const values = t.dataSync() as Float32Array;
    if (!values.every(Number.isFinite)) fail(file, `weight ${clip(m.source.name)} contains NaN or infinite values`);
    const width = m.shape.reduce((a, b) => a * b, 1);
    const data = m.row === undefined ? values : values.subarray(m.row * width, (m.row + 1) * width);
    weights.set(m.target, tf.tensor(Float32Array.from(data), m.shape));
  }
  return weights;
}

/** Reads a Layers model (and an optional vocabulary file) into an instrumented language model. */
export function importLayersModel(options: LayersImportOptions): LayersImportResult {
  const file = options.modelJson;
  const json = readJson(file);
  const { layers, kerasVersion } = kerasLayers(file, json);
  const p = plan(file, layers, kerasVersion);
  const manifest = readManifest(file, json);
  const { arch, mapped, mapping } = mapWeights(file, p, manifest);

  const parsed = options.vocab ? parseVocabularyFile(options.vocab) : undefined;
  const { tokens, notes: vocabNotes } = fitVocabulary(parsed, arch.vocabSize);
  const level = options.level ?? parsed?.level ?? (parsed ? inferLevel(tokens) : 'char');
  if (options.level && parsed?.level && options.level !== parsed.level) {
    vocabNotes.push(`the vocabulary file says ${parsed.level}-level tokens; --level ${options.level} is used`);
  }
  if (!parsed) vocabNotes.push('no vocabulary file: tokens are named <unused-i> and every text reads as <unk>; pass one with --vocab');
  arch.level = level;
  try {
    validateArchitecture(arch);
  } catch (e) {
    fail(file, (e as Error).message);
  }
  const tokenizer = new ModelTokenizer(level, Vocabulary.fromJSON({ tokens }));

  const needed = new Set(mapped.filter((m) => m.source).map((m) => m.source!.group));
  const decoded = readWeights(file, manifest, needed);
  let weights: Map<string, tf.Tensor> | undefined;
  try {
    weights = buildWeights(file, mapped, decoded);
    const model = new LanguageModel(arch, weights);
    return { model, tokenizer, notes: [...p.notes, ...vocabNotes], mapping };
  } finally {
    tf.dispose(Object.values(decoded));
    if (weights) tf.dispose([...weights.values()]);
  }
}

export interface ImportToFolderResult {
  dir: string;
  description: string;
  notes: string[];
  mapping: string[];
}

/** Imports and saves as a Neuron Lens model folder (which must not exist or be empty). */
export async function importLayersModelToFolder(options: LayersImportOptions & { out: string }): Promise<ImportToFolderResult> {
  const out = path.resolve(options.out);
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new NeuronLensError(`--out ${options.out} exists and is not a folder`);
    if (fs.readdirSync(out).length > 0) throw new NeuronLensError(`--out ${options.out} is not empty; choose a new or empty folder`);
  }
  const result = importLayersModel(options);
  try {
    await saveModel(out, { model: result.model, tokenizer: result.tokenizer });
    return { dir: out, description: describeArchitecture(result.model.architecture), notes: result.notes, mapping: result.mapping };
  } finally {
    result.model.dispose();
  }
}
