import type { ActivationName } from './cells/activationFunctions';
import { ACTIVATION_NAMES } from './cells/activationFunctions';
import { CELL_KINDS, type CellConfig, type CellKind } from './cells/recurrentCell';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { TOKEN_LEVELS, type TokenLevel } from './tokenizer';

/**
 * `forward` reads the tokens left to right (every model Neuron Lens trains). `bidirectional`
 * (imported Keras Bidirectional layers) adds a second cell of the same kind and size that reads
 * them right to left from a zero state; token t's output merges the forward state after tokens
 * 0…t with the backward state after tokens T−1…t. Such a layer reads the future, so only
 * classifiers may have one, and its model is not causal (see LanguageModel.causal).
 */
export type LayerDirection = 'forward' | 'bidirectional';
export const LAYER_DIRECTIONS: readonly LayerDirection[] = ['forward', 'bidirectional'];

/** How a bidirectional layer combines its two directions' h (Keras' merge_mode). */
export type DirectionMerge = 'concat' | 'sum' | 'ave' | 'mul';
export const DIRECTION_MERGES: readonly DirectionMerge[] = ['concat', 'sum', 'ave', 'mul'];

export interface LayerSpec {
  units: number;
  activation: ActivationName;
  recurrentActivation: ActivationName;
  /** GRU only. */
  resetAfter: boolean;
  /** Absent means forward, so model folders written before bidirectional layers stay valid. */
  direction?: LayerDirection;
  /** Bidirectional layers only (and required there). */
  merge?: DirectionMerge;
}

export function isBidirectional(layer: LayerSpec): boolean {
  return layer.direction === 'bidirectional';
}

/** Width of a layer's output, what the layer above or the head reads: 2·units for a concatenating bidirectional layer. */
export function layerOutputWidth(layer: LayerSpec): number {
  return isBidirectional(layer) && layer.merge === 'concat' ? 2 * layer.units : layer.units;
}

/** The instrumented recurrent body every task shares: tokens → (embedding) → stacked cells. */
interface RecurrentBody {
  cell: CellKind;
  level: TokenLevel;
  vocabSize: number;
  /** 0: tokens enter the first layer as one-hot vectors (its kernel rows act as the embedding). */
  embeddingSize: number;
  layers: LayerSpec[];
  /** Dropout rate on each layer's input and on the last layer's output, during training only. */
  dropout: number;
}

/** A next-token model: the output head is a softmax over the vocabulary at every token. */
export interface NextTokenArchitecture extends RecurrentBody {
  task: 'language-model';
}

/**
 * How a classifier turns per-token hidden states into one prediction. `last`: the state after
 * the text's last token (what D7047E did; it has read everything). `mean`: the average over the
 * text's tokens (less dominated by the ending of long texts). The output head is linear, so both
 * equal pooling the per-token logits the same way. The default is `mean`: every token's state
 * reaches the head directly, so long texts such as emails train in fewer epochs than when all
 * evidence must be carried through the recurrence to the last token.
 */
export type ClassifierPooling = 'last' | 'mean';
export const CLASSIFIER_POOLINGS: readonly ClassifierPooling[] = ['last', 'mean'];
export const DEFAULT_CLASSIFIER_POOLING: ClassifierPooling = 'mean';

/** A text classifier: the same body, with a softmax over `classes` read from the pooled states. */
export interface ClassifierArchitecture extends RecurrentBody {
  task: 'classifier';
  classes: string[];
  pooling: ClassifierPooling;
  /** Texts are cut to their first maxTokens tokens, in training and in inference alike. */
  maxTokens: number;
}

/** Everything needed to rebuild a model's computation (not its weights), by task. */
export type LanguageModelArchitecture = NextTokenArchitecture | ClassifierArchitecture;

export interface ClassifierOptions {
  classes: string[];
  pooling?: ClassifierPooling;
  maxTokens?: number;
}

export interface ArchitectureOptions {
  cell: CellKind;
  level: TokenLevel;
  vocabSize: number;
  hiddenSize: number;
  numLayers?: number;
  embeddingSize?: number;
  dropout?: number;
  /** Makes a classifier instead of a language model. */
  classifier?: ClassifierOptions;
}

/** Limits that keep a corrupt or hostile model.json from asking for absurd allocations. */
export const LIMITS = {
  maxVocab: 1_000_000,
  maxUnits: 8192,
  maxLayers: 16,
  maxEmbedding: 8192,
  maxClasses: 1000,
  maxClassName: 200,
  maxTokens: 100_000,
} as const;

export const DEFAULT_CLASSIFIER_MAX_TOKENS = 128;

export function makeArchitecture(o: ArchitectureOptions): LanguageModelArchitecture {
  const body: RecurrentBody = {
    cell: o.cell,
    level: o.level,
    vocabSize: o.vocabSize,
    embeddingSize: o.embeddingSize ?? (o.level === 'word' ? Math.min(o.hiddenSize, 128) : 0),
    layers: Array.from({ length: o.numLayers ?? 1 }, () => ({
      units: o.hiddenSize,
      activation: 'tanh' as const,
      recurrentActivation: 'sigmoid' as const,
      resetAfter: true,
    })),
    dropout: o.dropout ?? 0,
  };
  const arch: LanguageModelArchitecture = o.classifier
    ? {
        task: 'classifier',
        ...body,
        classes: [...o.classifier.classes],
        pooling: o.classifier.pooling ?? DEFAULT_CLASSIFIER_POOLING,
        maxTokens: o.classifier.maxTokens ?? DEFAULT_CLASSIFIER_MAX_TOKENS,
      }
    : { task: 'language-model', ...body };
  validateArchitecture(arch);
  return arch;
}

function isIntIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Checks an architecture read from disk or built from user options; throws a clear message. */
export function validateArchitecture(a: unknown): asserts a is LanguageModelArchitecture {
  const fail = (what: string): never => {
    throw new NeuronLensError(`Invalid model architecture: ${what}`, 'invalid-model');
  };
  if (typeof a !== 'object' || a === null) fail('not an object');
  const x = a as Record<string, unknown>;
  if (x.task !== 'language-model' && x.task !== 'classifier')
    fail(`unknown task ${describeValue(x.task)} (expected language-model or classifier)`);
  if (!CELL_KINDS.includes(x.cell as CellKind)) fail(`unknown cell ${describeValue(x.cell)} (expected rnn, lstm or gru)`);
  if (!TOKEN_LEVELS.includes(x.level as TokenLevel)) fail(`unknown level ${describeValue(x.level)} (expected char or word)`);
  if (!isIntIn(x.vocabSize, 2, LIMITS.maxVocab)) fail(`vocabSize must be an integer in [2, ${LIMITS.maxVocab}]`);
  if (!isIntIn(x.embeddingSize, 0, LIMITS.maxEmbedding)) fail(`embeddingSize must be an integer in [0, ${LIMITS.maxEmbedding}]`);
  if (typeof x.dropout !== 'number' || !(x.dropout >= 0 && x.dropout < 1)) fail('dropout must be in [0, 1)');
  if (!Array.isArray(x.layers) || x.layers.length < 1 || x.layers.length > LIMITS.maxLayers) {
    fail(`layers must be a list of 1 to ${LIMITS.maxLayers} layers`);
  }
  (x.layers as unknown[]).forEach((l, i) => {
    const layer = l as Record<string, unknown>;
    if (!isIntIn(layer?.units, 1, LIMITS.maxUnits)) fail(`layer ${i}: units must be an integer in [1, ${LIMITS.maxUnits}]`);
    for (const key of ['activation', 'recurrentActivation'] as const) {
      if (!ACTIVATION_NAMES.includes(layer[key] as ActivationName)) fail(`layer ${i}: unknown ${key} ${describeValue(layer[key])}`);
    }
    if (typeof layer.resetAfter !== 'boolean') fail(`layer ${i}: resetAfter must be true or false`);
    if (layer.direction !== undefined && !LAYER_DIRECTIONS.includes(layer.direction as LayerDirection)) {
      fail(`layer ${i}: unknown direction ${describeValue(layer.direction)} (expected forward or bidirectional)`);
    }
    if (layer.direction === 'bidirectional') {
      if (!DIRECTION_MERGES.includes(layer.merge as DirectionMerge)) {
        fail(`layer ${i}: a bidirectional layer needs merge concat, sum, ave or mul, not ${describeValue(layer.merge)}`);
      }
      if (x.task !== 'classifier') {
        fail(
          `layer ${i} is bidirectional: its backward direction reads the tokens after each position, which a language model must predict (only classifiers may have bidirectional layers)`,
        );
      }
    } else if (layer.merge !== undefined) {
      fail(`layer ${i}: merge ${describeValue(layer.merge)} is only for bidirectional layers`);
    }
  });
  if (x.task === 'classifier') validateClassifierHead(x, fail);
}

function validateClassifierHead(x: Record<string, unknown>, fail: (what: string) => never): void {
  if (!Array.isArray(x.classes) || x.classes.length < 2 || x.classes.length > LIMITS.maxClasses) {
    fail(`classes must be a list of 2 to ${LIMITS.maxClasses} class names`);
  }
  const seen = new Set<string>();
  (x.classes as unknown[]).forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '' || c.length > LIMITS.maxClassName) {
      fail(`class ${i} must be a non-empty name of at most ${LIMITS.maxClassName} characters, not ${describeValue(c)}`);
    }
    if (seen.has(c)) fail(`class ${describeValue(c)} appears twice`);
    seen.add(c);
  });
  if (!CLASSIFIER_POOLINGS.includes(x.pooling as ClassifierPooling))
    fail(`unknown pooling ${describeValue(x.pooling)} (expected last or mean)`);
  if (!isIntIn(x.maxTokens, 1, LIMITS.maxTokens)) fail(`maxTokens must be an integer in [1, ${LIMITS.maxTokens}]`);
}

/** Width of the output head: the vocabulary for a language model, the classes for a classifier. */
export function outputSize(arch: LanguageModelArchitecture): number {
  return arch.task === 'classifier' ? arch.classes.length : arch.vocabSize;
}

/** Whether every layer reads left to right only, so a token's values depend on the tokens up to it alone. */
export function isCausal(arch: LanguageModelArchitecture): boolean {
  return !arch.layers.some(isBidirectional);
}

/** Each layer's cell configuration (a bidirectional layer's backward cell has the same one). */
export function cellConfigs(arch: LanguageModelArchitecture): CellConfig[] {
  let inputSize = arch.embeddingSize > 0 ? arch.embeddingSize : arch.vocabSize;
  return arch.layers.map((l) => {
    const config: CellConfig = {
      kind: arch.cell,
      inputSize,
      units: l.units,
      activation: l.activation,
      recurrentActivation: l.recurrentActivation,
      resetAfter: l.resetAfter,
    };
    inputSize = layerOutputWidth(l);
    return config;
  });
}

export function describeArchitecture(arch: LanguageModelArchitecture): string {
  const sizes = arch.layers.map((l) => (isBidirectional(l) ? `${l.units} bidirectional (${l.merge})` : `${l.units}`)).join('×');
  const input = arch.embeddingSize > 0 ? `embedding ${arch.embeddingSize}` : 'one-hot input';
  const body = `${arch.level}-level ${arch.cell.toUpperCase()} ${sizes} (${arch.layers.length} layer${arch.layers.length > 1 ? 's' : ''}, vocabulary ${arch.vocabSize}, ${input})`;
  if (arch.task !== 'classifier') return body;
  return `${body} classifier over ${arch.classes.length} classes (${arch.classes.join(', ')}), ${arch.pooling === 'last' ? 'read at the last token' : 'averaged over tokens'}, first ${arch.maxTokens} tokens`;
}
