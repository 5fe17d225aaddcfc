import { NeuronLensError, throwIfAborted } from './errors';
import { createStreamingRunner } from './inference/createRunner';
import type { LanguageModel } from './languageModel';
import type { ModelTokenizer } from './modelTokenizer';
import type { Token } from './tokenizer';

/**
 * On/off bits of every neuron of one recorded component: bit t of neuron n is set when the
 * neuron's value at token t is above the threshold (LSTMVis's "on"). Stored neuron-major as
 * packed 32-bit words, so a search compares 32 token positions per operation and a 1 MB text
 * with 256 neurons takes 32 MB instead of the recording's 1 GB. The threshold is fixed per index:
 * a new threshold means indexing the recording again.
 */
export class RecordingIndex {
  private bits: Uint32Array[];
  private length = 0;

  constructor(
    readonly units: number,
    readonly threshold: number,
    expectedTokens = 1024,
  ) {
    if (!Number.isInteger(units) || units < 1) throw new NeuronLensError(`An index needs at least one neuron, not ${units}`);
    if (!Number.isFinite(threshold)) throw new NeuronLensError(`The on/off threshold must be a finite number, not ${threshold}`);
    const words = RecordingIndex.wordsFor(Math.max(1, expectedTokens));
    this.bits = Array.from({ length: units }, () => new Uint32Array(words));
  }

  /** Indexes a whole recording (tokens × units, row-major). */
  static fromValues(values: Float32Array, units: number, threshold: number): RecordingIndex {
    if (values.length % units !== 0) {
      throw new NeuronLensError(`The recording has ${values.length} values, not a whole number of rows of ${units} neurons`);
    }
    const index = new RecordingIndex(units, threshold, values.length / units);
    index.append(values, values.length / units);
    return index;
  }

  // Searches read up to a span past the last token; trailing zero words make that read safe.
  private static wordsFor(tokens: number): number {
    return (tokens >>> 5) + 2;
  }

  get tokenCount(): number {
    return this.length;
  }

  /** Adds `rows` recorded tokens (rows × units, row-major) after the ones already indexed. */
  append(values: Float32Array, rows: number): void {
    const { units, threshold } = this;
    if (values.length < rows * units) throw new NeuronLensError(`Expected ${rows} rows of ${units} values, got ${values.length} values`);
    this.grow(this.length + rows);
    // 32 rows at a time, read in memory order, each neuron's bits gathered in a small word array:
    // one store per neuron and word instead of a read-modify-write per value.
    const acc = new Int32Array(units);
    for (let r0 = 0; r0 < rows;) {
      const t0 = this.length + r0;
      const r1 = Math.min(rows, r0 + 32 - (t0 & 31));
      acc.fill(0);
      for (let r = r0, bit = 1 << (t0 & 31); r < r1; r++, bit <<= 1) {
        const row = r * units;
        for (let n = 0; n < units; n++) acc[n] = acc[n]! | (bit & -Number(values[row + n]! > threshold));
      }
      const word = t0 >>> 5;
      for (let n = 0; n < units; n++) if (acc[n] !== 0) this.bits[n]![word] = this.bits[n]![word]! | acc[n]!;
      r0 = r1;
    }
    this.length += rows;
  }

  /** The packed bits of one neuron (at least tokenCount/32 + 2 words; bits past the end are 0). */
  words(neuron: number): Uint32Array {
    this.checkNeuron(neuron);
    return this.bits[neuron]!;
  }

  isOn(neuron: number, token: number): boolean {
    this.checkNeuron(neuron);
    if (!Number.isInteger(token) || token < 0 || token >= this.length) return false;
    return (this.bits[neuron]![token >>> 5]! & (1 << (token & 31))) !== 0;
  }

  /** How many tokens in [from, to) the neuron is on. */
  countOn(neuron: number, from: number, to: number): number {
    let count = 0;
    for (let t = Math.max(0, from); t < Math.min(to, this.length); t++) if (this.isOn(neuron, t)) count++;
    return count;
  }

  checkNeuron(neuron: number): void {
    if (!Number.isInteger(neuron) || neuron < 0 || neuron >= this.units) {
      throw new NeuronLensError(`Neuron ${neuron} does not exist: the index has ${this.units} neurons (0–${this.units - 1})`);
    }
  }

  private grow(tokens: number): void {
    const needed = RecordingIndex.wordsFor(tokens);
    const have = this.bits[0]!.length;
    if (needed <= have) return;
    const next = Math.max(needed, have * 2);
    this.bits = this.bits.map((old) => {
      const b = new Uint32Array(next);
      b.set(old);
      return b;
    });
  }
}

export interface IndexTextOptions {
  layer: number;
  component: string;
  threshold: number;
  /** Tokens per model call; the only float memory is one chunk of activations. */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs the model over `text` and indexes one component's on/off bits as it goes, chunk by chunk,
 * without keeping the float recording: a 1 MB file would otherwise need tokens × units × 4 bytes.
 */
export async function indexText(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  options: IndexTextOptions,
): Promise<{ tokens: Token[]; index: RecordingIndex }> {
  if (text.length === 0) throw new NeuronLensError('The text is empty: there is nothing to index');
  const { tokens, ids } = loaded.tokenizer.encode(text);
  const units = loaded.model.layerUnits(options.layer);
  const index = new RecordingIndex(units, options.threshold, ids.length);
  const runner = createStreamingRunner(loaded.model);
  // A model that is not causal reads the text whole, in one call.
  const chunk = runner.causal ? Math.max(1, options.chunkSize ?? 1024) : ids.length;
  const out = new Float32Array(chunk * units);
  try {
    const state = runner.zeroState();
    for (let start = 0; start < ids.length; start += chunk) {
      throwIfAborted(options.signal, 'Indexing');
      const end = Math.min(ids.length, start + chunk);
      runner.run(ids.subarray(start, end), state, [{ layer: options.layer, component: options.component, out }], 0);
      index.append(out, end - start);
      options.onProgress?.(end, ids.length);
      if (ids.length > chunk) await new Promise((resolve) => setImmediate(resolve));
    }
    return { tokens, index };
  } finally {
    runner.dispose();
  }
}
