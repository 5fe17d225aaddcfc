import * as tf from '@tensorflow/tfjs-core';
import { notCausalError } from './bidirectional';
import { NeuronLensError, throwIfAborted } from './errors';
import { disposeState } from './evaluate';
import type { LanguageModel, LayerState } from './languageModel';
import type { ModelTokenizer } from './modelTokenizer';
import { createStreamingRunner } from './inference/createRunner';
import type { Token } from './tokenizer';

/** One layer's recorded internals: for each component, tokens × units values, row-major. */
export interface LayerRecording {
  layer: number;
  units: number;
  components: Record<string, Float32Array>;
}

export interface Recording {
  tokens: Token[];
  ids: Int32Array;
  layers: LayerRecording[];
}

export interface RecordOptions {
  /** Layers to record (default all). */
  layers?: number[];
  /** Component ids to record (default all of the cell's). */
  components?: string[];
  /** Tokens per model call; memory for intermediate tensors is bounded by this. */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Resolves a user's component name (id, label word or alias) to the cell's component id. */
export function resolveComponent(model: LanguageModel, layer: number, name: string): string {
  const wanted = name.toLowerCase();
  const found = model.components(layer).find((c) => c.id === wanted || c.aliases.includes(wanted) || c.label === wanted);
  if (!found) {
    const known = model
      .components(layer)
      .map((c) => `${c.id} (${c.label})`)
      .join(', ');
    throw new NeuronLensError(`Unknown component "${name}" for a ${model.architecture.cell.toUpperCase()} layer; choose one of ${known}`);
  }
  return found.id;
}

export function resolveLayer(model: LanguageModel, layer: number): number {
  const n = model.cells.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= n) {
    throw new NeuronLensError(`Layer ${layer} does not exist: the model has ${n} layer${n > 1 ? 's' : ''} (0${n > 1 ? `–${n - 1}` : ''})`);
  }
  return layer;
}

/**
 * Incremental recorder: feeds ids through the model with state carried, copying the selected
 * internals into growing Float32Arrays. Used for whole texts (in chunks) and for generation
 * (one token at a time).
 */
export class ActivationSink {
  readonly layers: LayerRecording[];
  private length = 0;
  private capacity: number;
  private state: LayerState[];

  constructor(
    private readonly model: LanguageModel,
    private readonly wanted: { layer: number; components: string[] }[],
    expectedTokens = 256,
  ) {
    if (!model.causal) throw notCausalError('Feeding tokens one call at a time (generation)');
    this.capacity = Math.max(1, expectedTokens);
    this.layers = wanted.map(({ layer, components }) => ({
      layer,
      units: model.layerUnits(layer),
      components: Object.fromEntries(components.map((c) => [c, new Float32Array(this.capacity * model.layerUnits(layer))])),
    }));
    this.state = model.zeroState(1);
  }

  get tokenCount(): number {
    return this.length;
  }

  /** Feeds ids; returns the logits of the last position if asked (for sampling), else undefined. */
  feed(ids: Int32Array, wantLastLogits = false): Float32Array | undefined {
    const n = ids.length;
    this.grow(this.length + n);
    const wantedSet = new Map(this.wanted.map((w) => [w.layer, new Set(w.components)]));
    const { lastLogits, internals, state } = tf.tidy(() => {
      const r = this.model.run(ids, 1, n, this.state, {
        collect: (layer, c) => wantedSet.get(layer)?.has(c) ?? false,
        skipLogits: !wantLastLogits,
      });
      const last = r.logits ? tf.slice(r.logits, [n - 1, 0], [1, -1]) : undefined;
      return { lastLogits: last, internals: r.internals, state: r.state };
    });
    for (const rec of this.layers) {
      for (const [c, buffer] of Object.entries(rec.components)) {
        const t = internals[rec.layer]![c]!;
        buffer.set(t.dataSync() as Float32Array, this.length * rec.units);
      }
    }
    tf.dispose(internals);
    disposeState(this.state);
    this.state = state;
    this.length += n;
    const logits = lastLogits ? (lastLogits.dataSync() as Float32Array).slice() : undefined;
    lastLogits?.dispose();
    return logits;
  }

  private grow(needed: number): void {
    if (needed <= this.capacity) return;
    let cap = this.capacity;
    while (cap < needed) cap *= 2;
    for (const rec of this.layers) {
      for (const [c, old] of Object.entries(rec.components)) {
        const next = new Float32Array(cap * rec.units);
        next.set(old.subarray(0, this.length * rec.units));
        rec.components[c] = next;
      }
    }
    this.capacity = cap;
  }

  /** The recorded values, trimmed to the tokens fed; frees the carried state. */
  finish(): LayerRecording[] {
    disposeState(this.state);
    this.state = [];
    return this.layers.map((rec) => ({
      ...rec,
      components: Object.fromEntries(
        Object.entries(rec.components).map(([c, b]) => [c, b.length === this.length * rec.units ? b : b.slice(0, this.length * rec.units)]),
      ),
    }));
  }
}

export function selection(model: LanguageModel, options: Pick<RecordOptions, 'layers' | 'components'>) {
  const layers = (options.layers ?? model.cells.map((_, i) => i)).map((l) => resolveLayer(model, l));
  return layers.map((layer) => ({
    layer,
    components: options.components
      ? [...new Set(options.components.map((c) => resolveComponent(model, layer, c)))]
      : model.components(layer).map((c) => c.id),
  }));
}

/**
 * Records the chosen internals for every token of `text`, starting from a zero state. Token t's
 * row holds the values after the model consumed token t (a backward component's, after it read
 * the text from its end back to token t). Runs on the streaming runner (weights in
 * WebAssembly memory, a SIMD matrix-vector kernel: several times faster than tfjs ops per step)
 * in chunks, yielding between them so a cancel is seen; memory is the output arrays and one state.
 */
export async function recordActivations(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  text: string,
  options: RecordOptions = {},
): Promise<Recording> {
  if (text.length === 0) throw new NeuronLensError('The text is empty: there is nothing to record');
  const { tokens, ids } = loaded.tokenizer.encode(text);
  const layers: LayerRecording[] = selection(loaded.model, options).map(({ layer, components }) => {
    const units = loaded.model.layerUnits(layer);
    return { layer, units, components: Object.fromEntries(components.map((c) => [c, new Float32Array(ids.length * units)])) };
  });
  const sinks = layers.flatMap((rec) => Object.entries(rec.components).map(([component, out]) => ({ layer: rec.layer, component, out })));
  const runner = createStreamingRunner(loaded.model);
  // A model that is not causal reads the text whole, in one call.
  const chunk = runner.causal ? Math.max(1, options.chunkSize ?? 256) : Math.max(1, ids.length);
  try {
    const state = runner.zeroState();
    for (let start = 0; start < ids.length; start += chunk) {
      throwIfAborted(options.signal, 'Recording');
      const end = Math.min(ids.length, start + chunk);
      runner.run(ids.subarray(start, end), state, sinks, start);
      options.onProgress?.(end, ids.length);
      if (ids.length > chunk) await new Promise((resolve) => setImmediate(resolve));
    }
    return { tokens, ids, layers };
  } finally {
    runner.dispose();
  }
}

/** Values of one neuron over all tokens of a recorded component. */
export function neuronTrace(rec: LayerRecording, component: string, neuron: number): Float32Array {
  const values = rec.components[component];
  if (!values) throw new NeuronLensError(`Component ${component} was not recorded`);
  if (!Number.isInteger(neuron) || neuron < 0 || neuron >= rec.units) {
    throw new NeuronLensError(`Neuron ${neuron} does not exist: layer ${rec.layer} has ${rec.units} neurons (0–${rec.units - 1})`);
  }
  const n = values.length / rec.units;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) out[t] = values[t * rec.units + neuron]!;
  return out;
}
