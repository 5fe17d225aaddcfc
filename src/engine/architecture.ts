import type { ActivationName } from './cells/activationFunctions';
import { ACTIVATION_NAMES } from './cells/activationFunctions';
import { CELL_KINDS, type CellConfig, type CellKind } from './cells/recurrentCell';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { TOKEN_LEVELS, type TokenLevel } from './tokenizer';

export interface LayerSpec {
  units: number;
  activation: ActivationName;
  recurrentActivation: ActivationName;
  /** GRU only. */
  resetAfter: boolean;
}

/** Everything needed to rebuild a language model's computation (not its weights). */
export interface LanguageModelArchitecture {
  task: 'language-model';
  cell: CellKind;
  level: TokenLevel;
  vocabSize: number;
  /** 0: tokens enter the first layer as one-hot vectors (its kernel rows act as the embedding). */
  embeddingSize: number;
  layers: LayerSpec[];
  /** Dropout rate on each layer's input and on the last layer's output, during training only. */
  dropout: number;
}

export interface ArchitectureOptions {
  cell: CellKind;
  level: TokenLevel;
  vocabSize: number;
  hiddenSize: number;
  numLayers?: number;
  embeddingSize?: number;
  dropout?: number;
}

/** Limits that keep a corrupt or hostile model.json from asking for absurd allocations. */
export const LIMITS = { maxVocab: 1_000_000, maxUnits: 8192, maxLayers: 16, maxEmbedding: 8192 } as const;

export function makeArchitecture(o: ArchitectureOptions): LanguageModelArchitecture {
  const arch: LanguageModelArchitecture = {
    task: 'language-model',
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
  if (x.task !== 'language-model') fail(`unknown task ${describeValue(x.task)}`);
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
  });
}

export function cellConfigs(arch: LanguageModelArchitecture): CellConfig[] {
  let inputSize = arch.embeddingSize > 0 ? arch.embeddingSize : arch.vocabSize;
  return arch.layers.map((l) => {
    const config: CellConfig = { kind: arch.cell, inputSize, ...l };
    inputSize = l.units;
    return config;
  });
}

export function describeArchitecture(arch: LanguageModelArchitecture): string {
  const sizes = arch.layers.map((l) => l.units).join('×');
  const input = arch.embeddingSize > 0 ? `embedding ${arch.embeddingSize}` : 'one-hot input';
  return `${arch.level}-level ${arch.cell.toUpperCase()} ${sizes} (${arch.layers.length} layer${arch.layers.length > 1 ? 's' : ''}, vocabulary ${arch.vocabSize}, ${input})`;
}
