import type { NeuronStats } from '../shared/protocol';
import { NeuronLensError } from './errors';
import { topByMagnitude } from './relevance';

/**
 * Per-neuron summaries of a recorded component (tokens × units, row-major), for the neuron
 * picker, the hover and the highlighter's colour scale.
 */

/** Token texts as small integers, so per-neuron bookkeeping over texts is array indexing. */
export interface InternedTexts {
  /** ids[t] is the index in `texts` of token t's text. */
  ids: Int32Array;
  /** Distinct texts in order of first appearance. */
  texts: string[];
}

export function internTexts(texts: readonly string[]): InternedTexts {
  const index = new Map<string, number>();
  const ids = new Int32Array(texts.length);
  texts.forEach((text, t) => {
    let id = index.get(text);
    if (id === undefined) {
      id = index.size;
      index.set(text, id);
    }
    ids[t] = id;
  });
  return { ids, texts: [...index.keys()] };
}

export function checkNeuron(neuron: unknown, units: number, layer: number): number {
  if (typeof neuron !== 'number' || !Number.isInteger(neuron) || neuron < 0 || neuron >= units) {
    throw new NeuronLensError(`Neuron ${String(neuron)} does not exist: layer ${layer} has ${units} neurons (0–${units - 1})`);
  }
  return neuron;
}

/** One neuron's value at every token. */
export function neuronColumn(values: Float32Array, units: number, neuron: number): Float32Array {
  const tokens = Math.floor(values.length / units);
  const column = new Float32Array(tokens);
  for (let t = 0; t < tokens; t++) column[t] = values[t * units + neuron]!;
  return column;
}

/**
 * Mean, standard deviation (population), min and max of a neuron's values, and the distinct
 * texts of the tokens where it is highest: each text ranked by its highest value, ties going to
 * the text seen first. Over no tokens every statistic is 0 and there are no top tokens.
 */
export function neuronStats(column: Float32Array, neuron: number, texts: InternedTexts, topTokens: number): NeuronStats {
  const n = column.length;
  if (n === 0) return { neuron, mean: 0, std: 0, min: 0, max: 0, topTokens: [] };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < n; t++) {
    const v = column[t]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let squares = 0;
  for (let t = 0; t < n; t++) squares += (column[t]! - mean) ** 2;
  return { neuron, mean, std: Math.sqrt(squares / n), min, max, topTokens: topTexts(column, texts, topTokens) };
}

function topTexts(column: Float32Array, texts: InternedTexts, k: number): string[] {
  if (k <= 0) return [];
  const best = new Float64Array(texts.texts.length).fill(Number.NEGATIVE_INFINITY);
  for (let t = 0; t < column.length; t++) {
    const id = texts.ids[t]!;
    if (column[t]! > best[id]!) best[id] = column[t]!;
  }
  // A sorted list of at most k ids: k is a handful, distinct texts can be thousands.
  const top: number[] = [];
  for (let id = 0; id < best.length; id++) {
    const v = best[id]!;
    if (top.length === k && v <= best[top[k - 1]!]!) continue;
    let at = top.length;
    while (at > 0 && best[top[at - 1]!]! < v) at--;
    top.splice(at, 0, id);
    if (top.length > k) top.pop();
  }
  return top.map((id) => texts.texts[id]!);
}

/** Statistics of every neuron. */
export function describeNeurons(values: Float32Array, units: number, texts: InternedTexts, topTokens: number): NeuronStats[] {
  return Array.from({ length: units }, (_, neuron) => neuronStats(neuronColumn(values, units, neuron), neuron, texts, topTokens));
}

/** The k neurons with the largest |value| at one token, largest first (ties: lower index first). */
export function topNeuronsAt(values: Float32Array, units: number, token: number, k: number): { neuron: number; value: number }[] {
  const row = values.subarray(token * units, (token + 1) * units);
  return topByMagnitude(row, Math.min(k, units)).map((neuron) => ({ neuron, value: row[neuron]! }));
}
