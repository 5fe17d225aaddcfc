import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  DEFAULT_CLASSIFIER_MAX_TOKENS,
  DIRECTION_MERGES,
  type DirectionMerge,
  LIMITS,
  type LanguageModelArchitecture,
  type LayerSpec,
  describeArchitecture,
  layerOutputWidth,
  validateArchitecture,
} from './architecture';
import { BACKWARD_PREFIX } from './bidirectional';
import type { ActivationName } from './cells/activationFunctions';
import type { CellKind } from './cells/recurrentCell';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { fitVocabulary, inferLevel, parseClassesFile, parseVocabularyFile } from './importVocabulary';
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
 * Supported: [InputLayer] → [Embedding] → SimpleRNN | LSTM | GRU (one or more, of one kind, each
 * possibly wrapped in Bidirectional with merge_mode concat, sum, ave or mul) →
 * - a language model: Dense or TimeDistributed(Dense), softmax or linear, over the input
 *   vocabulary at every token;
 * - a classifier: the last recurrent layer with return_sequences false (pooling `last`), or
 *   return_sequences true then GlobalAveragePooling1D (pooling `mean`), then Dense(classes) with
 *   softmax or linear, or Dense(1) with sigmoid (binary: two classes whose logits are [0, z], so
 *   that softmax gives [1 − σ(z), σ(z)], exactly Keras' probability for class 1 and its complement);
 * with Dropout / SpatialDropout1D anywhere (identity at inference) and an optional Activation
 * after a linear Dense.
 *
 * A Bidirectional layer becomes a layer with direction `bidirectional`: its forward and backward
 * cells' weights are `layers/<i>/…` and `layers/<i>/backward/…`, and the backward internals are
 * components of their own (`backward/h`…). Its backward cell reads the tokens after each position,
 * so it is imported in classifiers only; with return_sequences false the head reads the merge of
 * the forward h at the last token and the backward h at the first, as Keras does.
 */

const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024;

export const SUPPORTED_LAYERS =
  'InputLayer, Embedding, SimpleRNN, LSTM, GRU, Bidirectional(SimpleRNN | LSTM | GRU), GlobalAveragePooling1D, Dense, TimeDistributed(Dense), Dropout, Activation';

const RECURRENT_CLASSES: Record<string, CellKind> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const IDENTITY_CLASSES = new Set(['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);
/** Why a known Keras layer is refused; the message reads `layer "name" (Class) <reason>`. */
const REFUSED: Record<string, string> = {
  Masking: 'is not supported (every token is read, none skipped)',
  CuDNNLSTM: 'is not supported; re-save the model with a plain LSTM layer',
  CuDNNGRU: 'is not supported; re-save the model with a plain GRU layer',
  GlobalMaxPooling1D:
    'is not supported (a classifier may read the last step, return_sequences false, or average with GlobalAveragePooling1D)',
  Flatten: 'is not supported (a classifier may read the last step, return_sequences false, or average with GlobalAveragePooling1D)',
  Conv1D: 'is not supported (convolutions over text are not imported; only recurrent layers are)',
  Attention: 'is not supported (attention layers are not imported; only recurrent layers are)',
  AdditiveAttention: 'is not supported (attention layers are not imported; only recurrent layers are)',
  MultiHeadAttention: 'is not supported (attention layers are not imported; only recurrent layers are)',
};

export interface LayersImportOptions {
  /** Path of the Layers model's model.json (shards next to it). */
  modelJson: string;
  /** Keras Tokenizer JSON, `{token: id}` JSON, JSON list or one-token-per-line file. */
  vocab?: string;
  /** Tokenization level; default: the tokenizer file's `char_level`, else guessed from the tokens. */
  level?: TokenLevel;
  /**
   * Class names of a classifier: a JSON list or one name per line. Giving it also imports a
   * model whose output happens to be as wide as its vocabulary as a classifier.
   */
  classes?: string;
  /** Tokens a classifier reads; default: the Keras input length, else 128. */
  maxTokens?: number;
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
  /** The recurrent layer, or a Bidirectional wrapper's name and class with its inner layer's config. */
  layer: KerasLayer;
  /** Set for a Bidirectional wrapper. */
  bidirectional?: { merge: DirectionMerge };
  kind: CellKind;
  units: number;
  activation: ActivationName;
  recurrentActivation: ActivationName;
  useBias: boolean;
  returnSequences: boolean;
}

type OutputActivation = 'softmax' | 'linear' | 'sigmoid';

interface Plan {
  embedding?: { layer: KerasLayer; inputDim: number; outputDim: number };
  recurrent: RecurrentPlan[];
  /** GlobalAveragePooling1D after a sequence-returning recurrent layer: a mean-pooled classifier. */
  meanPooling?: KerasLayer;
  dense?: { layer: KerasLayer; units: number; useBias: boolean; timeDistributed: boolean; activation: OutputActivation };
  /** Input width when there is no Embedding (one-hot inputs). */
  oneHotInput?: number;
  /** Tokens per input when the model fixes it (`batch_input_shape` [batch, steps, …], `input_length`). */
  inputLength?: number;
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

function inputShapeOf(layer: KerasLayer): unknown[] | undefined {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
  return Array.isArray(shape) ? shape : undefined;
}

/** The steps axis of a `[batch, steps, …]` input shape, or an Embedding's `input_length`. */
function inputLengthOf(layer: KerasLayer): number | undefined {
  const steps = inputShapeOf(layer)?.[1] ?? layer.config.input_length;
  return typeof steps === 'number' && Number.isInteger(steps) && steps >= 1 ? steps : undefined;
}

function lastDimOfInputShape(layer: KerasLayer): number | undefined {
  const shape = layer.config.batch_input_shape ?? layer.config.batch_shape ?? layer.config.input_shape;
  if (Array.isArray(shape) && typeof shape[shape.length - 1] === 'number') return shape[shape.length - 1] as number;
  if (typeof layer.config.input_dim === 'number') return layer.config.input_dim;
  return undefined;
}

/** The settings of a backward layer that must equal the forward one's for both to be one layer's two directions. */
const SAME_IN_BOTH_DIRECTIONS = ['units', 'activation', 'recurrent_activation', 'use_bias', 'reset_after', 'return_sequences'];

/**
 * A Bidirectional wrapper: the wrapped layer (named and labelled as the wrapper, so messages and
 * weights name what the user sees) and the merge. Keras 3 also writes the backward layer, which
 * must be the forward one read backwards; Keras' default merge_mode is concat.
 */
function bidirectionalPlan(
  file: string,
  wrapper: KerasLayer,
): { kind: CellKind; layer: KerasLayer; bidirectional: { merge: DirectionMerge } } {
  const inner = asObject(wrapper.config.layer);
  const innerConfig = asObject(inner?.config);
  const kind = typeof inner?.class_name === 'string' ? RECURRENT_CLASSES[inner.class_name] : undefined;
  if (!kind || !innerConfig) {
    fail(
      file,
      `layer ${layerLabel(wrapper)} wraps a ${describeValue(inner?.class_name)} layer; only Bidirectional(SimpleRNN | LSTM | GRU) is supported`,
    );
  }
  const merge = wrapper.config.merge_mode === undefined ? 'concat' : wrapper.config.merge_mode;
  if (merge === null) {
    fail(
      file,
      `layer ${layerLabel(wrapper)} returns its two directions as separate outputs (merge_mode None), which is not supported; re-save it with merge_mode concat, sum, ave or mul`,
    );
  }
  if (!DIRECTION_MERGES.includes(merge as DirectionMerge)) {
    fail(file, `layer ${layerLabel(wrapper)} has merge_mode ${describeValue(merge)}; supported: concat, sum, ave, mul`);
  }
  const backward = asObject(wrapper.config.backward_layer);
  if (backward) {
    const backwardConfig = asObject(backward.config) ?? {};
    const differs = SAME_IN_BOTH_DIRECTIONS.filter((k) => JSON.stringify(backwardConfig[k]) !== JSON.stringify(innerConfig[k]));
    if (backward.class_name !== inner!.class_name || differs.length > 0) {
      const what =
        backward.class_name !== inner!.class_name ? `is a ${describeValue(backward.class_name)}` : `differs in ${differs.join(', ')}`;
      fail(
        file,
        `layer ${layerLabel(wrapper)} has a backward layer that ${what}; only a backward layer like the forward one (read backwards) is supported`,
      );
    }
  }
  return {
    kind,
    layer: { className: wrapper.className, name: wrapper.name, config: innerConfig },
    bidirectional: { merge: merge as DirectionMerge },
  };
}

/** Walks the layers and decides what each becomes; every refusal names the layer. */
function plan(file: string, layers: KerasLayer[], kerasVersion: string): Plan {
  const p: Plan = { recurrent: [], notes: [] };
  let afterDense = false;
  for (const layer of layers) {
    const cls = layer.className;
    if (cls === 'InputLayer') {
      if (p.recurrent.length === 0 && !p.embedding) {
        p.oneHotInput = lastDimOfInputShape(layer);
        p.inputLength = inputLengthOf(layer);
      }
      continue;
    }
    if (IDENTITY_CLASSES.has(cls)) {
      p.notes.push(`layer ${layerLabel(layer)} is ignored (inactive at inference)`);
      continue;
    }
    if (afterDense) {
      const dense = p.dense!;
      if (cls === 'Dense' || cls === 'TimeDistributed') {
        fail(
          file,
          `layer ${layerLabel(dense.layer)} is followed by another Dense layer ${layerLabel(layer)}: only one Dense layer, the last, is supported (no hidden Dense layers)`,
        );
      }
      const act = layer.config.activation;
      if (cls === 'Activation' && act === 'linear') continue;
      if (cls === 'Activation' && (act === 'softmax' || act === 'sigmoid') && dense.activation === 'linear') {
        dense.activation = act;
        continue;
      }
      fail(file, `layer ${layerLabel(layer)} follows the output Dense layer; only a linear Activation, or one after a linear Dense, may`);
    }
    if (REFUSED[cls]) fail(file, `layer ${layerLabel(layer)} ${REFUSED[cls]}`);
    if (p.meanPooling && cls !== 'Dense') {
      fail(file, `layer ${layerLabel(layer)} follows the pooling layer ${layerLabel(p.meanPooling)}; only the output Dense layer may`);
    }
    if (cls === 'GlobalAveragePooling1D') {
      const previous = p.recurrent[p.recurrent.length - 1];
      if (!previous) fail(file, `layer ${layerLabel(layer)}: pooling before any recurrent layer is not supported`);
      if (!previous.returnSequences) {
        fail(
          file,
          `layer ${layerLabel(layer)} averages over steps, but ${layerLabel(previous.layer)} returns only its last step (return_sequences false)`,
        );
      }
      if (layer.config.data_format === 'channels_first') {
        fail(
          file,
          `layer ${layerLabel(layer)} averages over features (data_format channels_first); only averaging over steps is supported`,
        );
      }
      if (layer.config.keepdims === true) fail(file, `layer ${layerLabel(layer)} keeps the steps axis (keepdims), which is not supported`);
      p.meanPooling = layer;
      continue;
    }
    if (cls === 'Embedding') {
      if (p.embedding || p.recurrent.length > 0) fail(file, `layer ${layerLabel(layer)}: an Embedding must be the first layer`);
      const inputDim = positiveInt(file, layer, 'input_dim', LIMITS.maxVocab);
      const outputDim = positiveInt(file, layer, 'output_dim', LIMITS.maxEmbedding);
      if (layer.config.mask_zero === true) {
        p.notes.push(`Embedding ${layerLabel(layer)} masks id 0 (mask_zero); here id 0 (<unk>) is read like any token`);
      }
      p.embedding = { layer, inputDim, outputDim };
      p.inputLength ??= inputLengthOf(layer);
      continue;
    }
    const wrapped = cls === 'Bidirectional' ? bidirectionalPlan(file, layer) : undefined;
    const kind = wrapped?.kind ?? RECURRENT_CLASSES[cls];
    if (kind) {
      const rl = wrapped?.layer ?? layer;
      if (p.recurrent.length === 0 && !p.embedding) {
        // Keras puts a first Bidirectional layer's input shape on the wrapper.
        p.oneHotInput ??= lastDimOfInputShape(layer) ?? lastDimOfInputShape(rl);
        p.inputLength ??= inputLengthOf(layer) ?? inputLengthOf(rl);
      }
      const previous = p.recurrent[p.recurrent.length - 1];
      if (previous && previous.kind !== kind) {
        fail(file, `layer ${layerLabel(rl)} follows a ${previous.layer.className} layer: a stack must use one kind of recurrent layer`);
      }
      if (previous && !previous.returnSequences) {
        fail(
          file,
          `layer ${layerLabel(previous.layer)} returns only its last step (return_sequences false) but feeds another recurrent layer`,
        );
      }
      if (rl.config.go_backwards === true) fail(file, `layer ${layerLabel(rl)} reads backwards (go_backwards), which is not supported`);
      if (rl.config.return_state === true) fail(file, `layer ${layerLabel(rl)} returns its state (return_state), which is not supported`);
      if (rl.config.time_major === true) fail(file, `layer ${layerLabel(rl)} is time-major, which is not supported`);
      const units = positiveInt(file, rl, 'units', LIMITS.maxUnits);
      const recurrentFallback = kerasVersion.startsWith('tfjs') ? 'hard_sigmoid' : 'sigmoid';
      p.recurrent.push({
        layer: rl,
        bidirectional: wrapped?.bidirectional,
        kind,
        units,
        activation: activationOf(file, rl, 'activation', 'tanh', kerasVersion),
        recurrentActivation: kind === 'rnn' ? 'sigmoid' : activationOf(file, rl, 'recurrent_activation', recurrentFallback, kerasVersion),
        useBias: rl.config.use_bias !== false,
        returnSequences: rl.config.return_sequences === true,
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
      if (act !== 'softmax' && act !== 'linear' && act !== 'sigmoid') {
        fail(
          file,
          `layer ${layerLabel(layer)} has activation ${describeValue(act)}; the output layer must be softmax, sigmoid or linear (one output Dense layer is supported, no hidden ones)`,
        );
      }
      p.dense = {
        layer,
        units: positiveInt(file, dense, 'units', LIMITS.maxVocab),
        useBias: dense.config.use_bias !== false,
        timeDistributed: cls === 'TimeDistributed',
        activation: act,
      };
      afterDense = true;
      continue;
    }
    fail(file, `layer ${layerLabel(layer)} is not supported (supported layers: ${SUPPORTED_LAYERS})`);
  }
  if (p.recurrent.length === 0) fail(file, 'the model has no SimpleRNN, LSTM or GRU layer');
  if (p.recurrent.length > LIMITS.maxLayers)
    fail(file, `the model has ${p.recurrent.length} recurrent layers, more than ${LIMITS.maxLayers}`);
  if (!p.dense) fail(file, 'the model has no output Dense layer after its recurrent layers');
  return p;
}

/**
 * Language model or classifier. A classifier pools (GlobalAveragePooling1D), has a sigmoid output,
 * an output not as wide as the vocabulary, or was asked for (a classes file); anything else keeps
 * the language-model import (whose last-step-only models predict at every token).
 */
function decideTask(file: string, p: Plan, vocab: number, wantClassifier: boolean): ClassifierHead | undefined {
  const dense = p.dense!;
  const last = p.recurrent[p.recurrent.length - 1]!;
  const classifier = wantClassifier || !!p.meanPooling || dense.activation === 'sigmoid' || dense.units !== vocab;
  const bidirectional = p.recurrent.find((r) => r.bidirectional);
  if (!classifier && bidirectional) {
    fail(
      file,
      `layer ${layerLabel(bidirectional.layer)} reads each text backwards too, so its output at a token has seen the tokens after it: a model predicting the next token at every token cannot have one (Bidirectional layers are imported in classifiers; pass a classes file if this model is one)`,
    );
  }
  if (bidirectional && !last.returnSequences && last.bidirectional) {
    p.notes.push(
      `layer ${layerLabel(last.layer)} returns its last step: the classifier reads the forward h at the last token and the backward h at the first (the backward direction's last step), merged by ${last.bidirectional.merge}`,
    );
  }
  if (!classifier) {
    if (!last.returnSequences) {
      p.notes.push(
        `layer ${layerLabel(last.layer)} returns only its last step in Keras; here every token gets a prediction (the last one is Keras'); its output is as wide as the vocabulary, so it is imported as a language model (pass a classes file to import it as a classifier)`,
      );
    }
    return undefined;
  }
  const why = dense.units !== vocab ? ` (its ${dense.units} units are not the vocabulary's ${vocab})` : '';
  if (dense.timeDistributed) {
    fail(file, `the output layer ${layerLabel(dense.layer)} is TimeDistributed, one prediction per token: it is not a classifier${why}`);
  }
  if (last.returnSequences && !p.meanPooling) {
    fail(
      file,
      `the output layer ${layerLabel(dense.layer)} predicts at every token${why}, which is neither a language model nor a classifier: a classifier's last recurrent layer ${layerLabel(last.layer)} must return only its last step (return_sequences false) or be followed by GlobalAveragePooling1D`,
    );
  }
  if (dense.activation === 'softmax' && dense.units === 1) {
    fail(file, `the output layer ${layerLabel(dense.layer)} is a softmax over 1 unit, which is always 1; a binary classifier uses sigmoid`);
  }
  if (dense.activation === 'sigmoid' && dense.units !== 1) {
    fail(
      file,
      `the output layer ${layerLabel(dense.layer)} has ${dense.units} sigmoid units (multi-label); only one-of-n classifiers are supported (softmax, or 1 sigmoid unit for two classes)`,
    );
  }
  const binary = dense.units === 1;
  if (binary && dense.activation === 'linear') {
    p.notes.push(`the output layer ${layerLabel(dense.layer)} gives one logit z (linear): classes get probabilities 1 − σ(z) and σ(z)`);
  } else if (dense.activation === 'linear') {
    p.notes.push(`the output layer ${layerLabel(dense.layer)} gives logits (linear): the probabilities shown are their softmax`);
  }
  return { binary, classes: binary ? 2 : dense.units, pooling: p.meanPooling ? 'mean' : 'last' };
}

interface ClassifierHead {
  /** One sigmoid (or logit) unit, mapped to two classes with logits [0, z]. */
  binary: boolean;
  classes: number;
  pooling: 'last' | 'mean';
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

/**
 * The manifest entries of one Keras layer, by their last name segment (`kernel`, `bias`…). For one
 * direction of a Bidirectional layer, those under its `forward_…` or `backward_…` sublayer
 * (`bi/forward_lstm/lstm_cell/kernel:0` in Keras, `bi/backward_lstm_LSTM1/kernel` in tfjs-layers).
 */
function layerWeights(manifest: Manifest, layerName: string, direction?: 'forward' | 'backward'): Map<string, ManifestEntry> {
  const strip = (n: string) => n.replace(/:\d+$/, '').split('/');
  let matches = manifest.entries.filter((e) => strip(e.name)[0] === layerName);
  if (matches.length === 0) matches = manifest.entries.filter((e) => strip(e.name).slice(1, -1).includes(layerName));
  if (direction)
    matches = matches.filter((e) =>
      strip(e.name)
        .slice(1, -1)
        .some((part) => part.startsWith(`${direction}_`)),
    );
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
  /** The source fills the last column of a two-column weight whose first column is 0 (binary heads). */
  secondColumn?: boolean;
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

/**
 * Maps one cell's kernel, recurrent kernel and bias (one direction of a Bidirectional layer) to
 * `<prefix>kernel`…; returns a GRU's reset_after, read from its bias' shape.
 */
function mapRecurrentWeights(
  file: string,
  r: RecurrentPlan,
  w: Map<string, ManifestEntry>,
  prefix: string,
  inputSize: number,
  mapped: Mapped[],
): boolean {
  const gates = r.kind === 'lstm' ? 4 : r.kind === 'gru' ? 3 : 1;
  const width = gates * r.units;
  const direction = prefix.endsWith(BACKWARD_PREFIX) ? 'backward ' : r.bidirectional ? 'forward ' : '';
  const kernel = expectShape(file, r.layer, `${direction}kernel`, w.get('kernel'), [inputSize, width]);
  const recurrent = expectShape(file, r.layer, `${direction}recurrent_kernel`, w.get('recurrent_kernel'), [r.units, width]);
  mapped.push({ target: `${prefix}kernel`, source: kernel, shape: [inputSize, width] });
  mapped.push({ target: `${prefix}recurrent_kernel`, source: recurrent, shape: [r.units, width] });
  const bias = r.useBias ? w.get('bias') : undefined;
  if (r.useBias && !bias) fail(file, `the weights of layer ${layerLabel(r.layer)} have no ${direction}bias in the weights manifest`);
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
    const b = bias ? expectShape(file, r.layer, `${direction}bias`, bias, [2, width]) : undefined;
    mapped.push({ target: `${prefix}bias`, source: b, row: 0, shape: [width] });
    mapped.push({ target: `${prefix}recurrent_bias`, source: b, row: 1, shape: [width] });
  } else {
    const b = bias ? expectShape(file, r.layer, `${direction}bias`, bias, [width]) : undefined;
    mapped.push({ target: `${prefix}bias`, source: b, shape: [width] });
  }
  return resetAfter;
}

interface WeightPlan {
  arch: LanguageModelArchitecture;
  mapped: Mapped[];
  mapping: string[];
  head?: ClassifierHead;
}

/** Decides, from the manifest alone, which entry fills which of our weights (shapes checked). */
function mapWeights(file: string, p: Plan, manifest: Manifest, wantClassifier: boolean): WeightPlan {
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
    const kernel = layerWeights(manifest, first.layer.name, first.bidirectional ? 'forward' : undefined).get('kernel');
    if (!kernel || kernel.shape.length !== 2) fail(file, `the weights of layer ${layerLabel(first.layer)} have no 2-D kernel`);
    vocab = p.oneHotInput ?? kernel.shape[0]!;
    inputSize = vocab;
  }
  const head = decideTask(file, p, vocab, wantClassifier);
  const layers: LayerSpec[] = [];
  p.recurrent.forEach((r, i) => {
    const directions = r.bidirectional ? (['forward', 'backward'] as const) : ([undefined] as const);
    const resetAfter = directions.map((direction) =>
      mapRecurrentWeights(
        file,
        r,
        layerWeights(manifest, r.layer.name, direction),
        `layers/${i}/${direction === 'backward' ? BACKWARD_PREFIX : ''}`,
        inputSize,
        mapped,
      ),
    );
    if (resetAfter[1] !== undefined && resetAfter[1] !== resetAfter[0]) {
      fail(
        file,
        `layer ${layerLabel(r.layer)} has a forward GRU with reset_after ${resetAfter[0]} and a backward one with ${resetAfter[1]}`,
      );
    }
    const spec: LayerSpec = {
      units: r.units,
      activation: r.activation,
      recurrentActivation: r.recurrentActivation,
      resetAfter: r.kind === 'gru' ? resetAfter[0]! : true,
    };
    if (r.bidirectional) Object.assign(spec, { direction: 'bidirectional', merge: r.bidirectional.merge });
    layers.push(spec);
    const acts = r.kind === 'rnn' ? r.activation : `${r.activation}, gates ${r.recurrentActivation}`;
    const gru = r.kind === 'gru' ? `, reset_after ${resetAfter[0]}` : '';
    const bi = r.bidirectional ? `, bidirectional, merge ${r.bidirectional.merge}` : '';
    mapping.push(`${layerLabel(r.layer)} → layers/${i}: ${r.kind.toUpperCase()} ${r.units} units (${acts}${gru}${bi})`);
    inputSize = layerOutputWidth(spec);
  });
  const dense = p.dense!;
  const dw = layerWeights(manifest, dense.layer.name);
  const width = head ? head.classes : vocab;
  const kernel = expectShape(file, dense.layer, 'kernel', dw.get('kernel'), [inputSize, dense.units]);
  const secondColumn = head?.binary === true;
  mapped.push({ target: 'output/kernel', source: kernel, shape: [inputSize, width], secondColumn });
  const bias = dense.useBias ? expectShape(file, dense.layer, 'bias', dw.get('bias'), [dense.units]) : undefined;
  mapped.push({ target: 'output/bias', source: bias, shape: [width], secondColumn });
  if (p.meanPooling) mapping.push(`${layerLabel(p.meanPooling)} → pooling mean`);
  const headText = secondColumn ? ' (logits [0, z]: two classes)' : head ? ` (${head.classes} classes)` : '';
  mapping.push(`${layerLabel(dense.layer)} → output [${inputSize}, ${width}]${headText}`);
  const body = {
    cell: p.recurrent[0]!.kind,
    level: 'char' as TokenLevel,
    vocabSize: vocab,
    embeddingSize: p.embedding ? p.embedding.outputDim : 0,
    layers,
    dropout: 0,
  };
  // A classifier's classes and maxTokens are set by importLayersModel, which reads the classes file.
  const arch: LanguageModelArchitecture = head
    ? { task: 'classifier', ...body, classes: [], pooling: head.pooling, maxTokens: DEFAULT_CLASSIFIER_MAX_TOKENS }
    : { task: 'language-model', ...body };
  if (vocab < 2) fail(file, `the vocabulary has ${vocab} entries; at least 2 are needed`);
  return { arch, mapped, mapping, head };
}

/** `class 0` … `class n−1`, or the classes file's names (one name for a binary head: [not x, x]). */
export function importedClassNames(names: readonly string[] | undefined, count: number, binary: boolean): string[] | string {
  if (!names) return Array.from({ length: count }, (_, i) => `class ${i}`);
  if (names.length === count) return [...names];
  if (binary && names.length === 1) return [`not ${names[0]!}`, names[0]!];
  const expected = binary ? '2 (or 1: the class a sigmoid unit predicts)' : String(count);
  return `it names ${names.length} class${names.length === 1 ? '' : 'es'}, the model's output needs ${expected}`;
}

/**
 * The tokens an imported classifier reads: the user's choice, else the length Keras was built
 * for, else the default. Keras' `pad_sequences` pads short texts with id 0 in front; here a text
 * is read as it is, so both agree on texts Keras saw unpadded (or padded, with `mask_zero`).
 */
function classifierMaxTokens(p: Plan, requested: number | undefined): { maxTokens: number; note: string } {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > LIMITS.maxTokens) {
      throw new NeuronLensError(`max tokens must be an integer in [1, ${LIMITS.maxTokens}], not ${describeValue(requested)}`);
    }
    return { maxTokens: requested, note: `the classifier reads a text's first ${requested} tokens (as asked)` };
  }
  if (p.inputLength !== undefined) {
    const maxTokens = Math.min(p.inputLength, LIMITS.maxTokens);
    return {
      maxTokens,
      note: `the classifier reads a text's first ${maxTokens} tokens (the Keras input length ${p.inputLength}); texts are not padded (Keras' pad_sequences pads with id 0 in front)`,
    };
  }
  return {
    maxTokens: DEFAULT_CLASSIFIER_MAX_TOKENS,
    note: `the Keras model does not fix its input length: the classifier reads a text's first ${DEFAULT_CLASSIFIER_MAX_TOKENS} tokens (choose with max tokens)`,
  };
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

/** [z0, z1, …] → [0, z0, 0, z1, …]: a one-unit column becomes the second of two (the first is 0). */
export function besideZeros(column: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * column.length);
  for (let i = 0; i < column.length; i++) out[2 * i + 1] = column[i]!;
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
    weights.set(m.target, tf.tensor(m.secondColumn ? besideZeros(data) : Float32Array.from(data), m.shape));
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
  const classNames = options.classes ? parseClassesFile(options.classes) : undefined;
  const { arch, mapped, mapping, head } = mapWeights(file, p, manifest, classNames !== undefined);
  if (arch.task === 'classifier') {
    const names = importedClassNames(classNames, head!.classes, head!.binary);
    if (typeof names === 'string') throw new NeuronLensError(`Classes file ${options.classes!}: ${names}`, 'invalid-input');
    arch.classes = names;
    const { maxTokens, note } = classifierMaxTokens(p, options.maxTokens);
    arch.maxTokens = maxTokens;
    p.notes.push(note);
  } else if (options.maxTokens !== undefined) {
    p.notes.push('max tokens is ignored: the model is a language model, which reads texts of any length');
  }

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
