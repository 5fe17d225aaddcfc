import type { ActivationName } from '../cells/activationFunctions';
import { gateCount } from '../cells/cellFactory';
import type { CellKind, ComponentInfo } from '../cells/recurrentCell';
import { notCausalError } from '../bidirectional';
import type { LanguageModel } from '../languageModel';
import { type MatVecKernel, PANEL, createMatVecKernel, packPanels, padToPanel } from './matVecKernel';
import type { ComponentSink, StateHook, StreamingRunner } from './streamingRunner';

export interface ArrayRunnerOptions {
  /** Force the WebAssembly SIMD kernel (true) or its JavaScript twin (false); default: SIMD where supported. */
  simd?: boolean;
  /**
   * Largest table of first-layer input projections (embedding·W + b per vocabulary id), in
   * floats, filled lazily as ids are first seen; above it every token pays its x·W instead.
   * One-hot models always use their kernel rows as the table.
   */
  projectionTableLimit?: number;
}

/**
 * 16 M floats (64 MiB), e.g. 16,000 words × a 256-unit LSTM's 1,024 gate columns: beyond that the
 * memory outweighs the saving, one embedding-sized x·W per token.
 */
const DEFAULT_PROJECTION_TABLE_LIMIT = 16 * 2 ** 20;

/**
 * Heap addresses of one layer. Every gate block is padded to `padded` (whole kernel panels), so
 * gate g of a projection lives at [g·padded, g·padded + units) and GRU can multiply by the
 * recurrent kernel's n block alone. Padding columns hold zero weights and are never read back.
 */
interface Layer {
  kind: CellKind;
  units: number;
  padded: number;
  /** gates × padded: width of a projection. */
  width: number;
  activation: ActivationName;
  gateActivation: ActivationName;
  resetAfter: boolean;
  inputSize: number;
  /** Packed input kernel; absent on a one-hot first layer (its rows are the projection table). */
  inputKernel: number;
  recurrentKernel: number;
  bias: number;
  /** GRU with resetAfter: b'. */
  recurrentBias: number;
  h: number;
  /** LSTM cell state. */
  c: number;
  /** Gate values: pre-activations, then activations in place (RNN keeps `pre` here). */
  gates: number;
  /** x·W + b when it is not read from the table. */
  projection: number;
  /** GRU with resetAfter: b' + h·U. */
  recurrentProjection: number;
  /** GRU without resetAfter: r ⊙ h. */
  scratch: number;
  /** Heap views of each component, for the sinks. */
  views: Map<string, Float32Array>;
  /** Heap views of the state, [h] or [h, c], for a StateHook. */
  stateViews: Float32Array[];
}

/** How the first layer turns an id into its projection x·W + b. */
interface InputTable {
  /** [vocab, width] projections, or -1 when each token computes its own. */
  table: number;
  /** Rows of `table` already computed (embedding models fill it lazily); undefined when all are. */
  filled: Uint8Array | undefined;
  /** [vocab, embeddingSize] embedding, or -1 for one-hot inputs. */
  embedding: number;
  embeddingSize: number;
}

/**
 * A StreamingRunner on plain float32 arrays, for the editor: tfjs spends more time dispatching
 * a step's dozen ops than computing them. The weights are copied once out of the model; then a
 * token costs, per layer, the recurrent product h·U (and x·W above the first layer) in the
 * WebAssembly SIMD kernel, plus the cells' elementwise formulas in JavaScript.
 */
export class ArrayRunner implements StreamingRunner {
  readonly causal = true;
  readonly layerUnits: readonly number[];
  readonly stateLength: number;
  private readonly vocabSize: number;
  private readonly componentInfo: (readonly ComponentInfo[])[];
  private readonly layers: Layer[];
  private readonly input: InputTable;
  private kernel: MatVecKernel | undefined;

  constructor(model: LanguageModel, options: ArrayRunnerOptions = {}) {
    const arch = model.architecture;
    if (!model.causal) throw notCausalError('Token-by-token streaming');
    this.vocabSize = arch.vocabSize;
    this.layerUnits = model.cells.map((c) => c.config.units);
    this.stateLength = model.cells.reduce((n, c) => n + c.stateSize * c.config.units, 0);
    this.componentInfo = model.cells.map((c) => c.components);

    // Lay out the heap first (64-byte aligned blocks), then size the memory once.
    let size = 0;
    const take = (floats: number) => {
      const at = size;
      size += Math.ceil(floats / PANEL) * PANEL;
      return at;
    };
    const oneHot = arch.embeddingSize === 0;
    this.layers = model.cells.map((cell, i) => {
      const { kind, units, inputSize, activation, recurrentActivation, resetAfter } = cell.config;
      const padded = padToPanel(units);
      const width = gateCount(cell.config) * padded;
      const gru = kind === 'gru';
      return {
        kind,
        units,
        padded,
        width,
        activation,
        gateActivation: recurrentActivation,
        resetAfter,
        inputSize,
        inputKernel: i === 0 && oneHot ? -1 : take(inputSize * width),
        recurrentKernel: take(units * width),
        bias: take(width),
        recurrentBias: gru && resetAfter ? take(width) : -1,
        h: take(padded),
        c: kind === 'lstm' ? take(padded) : -1,
        gates: take(width),
        projection: take(width),
        recurrentProjection: gru && resetAfter ? take(width) : -1,
        scratch: gru && !resetAfter ? take(padded) : -1,
        views: new Map(),
        stateViews: [],
      };
    });
    const first = this.layers[0]!;
    const tableFloats = this.vocabSize * first.width;
    const useTable = oneHot || tableFloats <= (options.projectionTableLimit ?? DEFAULT_PROJECTION_TABLE_LIMIT);
    this.input = {
      table: useTable ? take(tableFloats) : -1,
      filled: useTable && !oneHot ? new Uint8Array(this.vocabSize) : undefined,
      embedding: oneHot ? -1 : take(this.vocabSize * arch.embeddingSize),
      embeddingSize: arch.embeddingSize,
    };

    const kernel = createMatVecKernel(size, options.simd);
    const heap = kernel.heap;
    this.layers.forEach((layer, i) => {
      const weight = (name: string) => model.weight(`layers/${i}/${name}`).dataSync() as Float32Array;
      const columns = gateColumns(layer);
      const bias = weight('bias');
      if (layer.inputKernel >= 0) packPanels(heap, layer.inputKernel, weight('kernel'), layer.inputSize, bias.length, columns);
      packPanels(heap, layer.recurrentKernel, weight('recurrent_kernel'), layer.units, bias.length, columns);
      packPanels(heap, layer.bias, bias, 1, 0, columns);
      if (layer.recurrentBias >= 0) packPanels(heap, layer.recurrentBias, weight('recurrent_bias'), 1, 0, columns);
      if (i === 0 && oneHot) {
        // x·W for a one-hot x is row `id` of W: the projection table is W + b, laid out like the gates.
        const w = weight('kernel');
        for (let id = 0; id < this.vocabSize; id++) {
          const row = this.input.table + id * layer.width;
          for (let j = 0; j < layer.width; j++) {
            const s = columns[j]!;
            if (s >= 0) heap[row + j] = w[id * bias.length + s]! + bias[s]!;
          }
        }
      }
      for (const [id, at] of componentAddresses(layer)) layer.views.set(id, heap.subarray(at, at + layer.units));
      layer.stateViews = (layer.c >= 0 ? [layer.h, layer.c] : [layer.h]).map((at) => heap.subarray(at, at + layer.units));
    });
    if (!oneHot) heap.set(model.weight('embedding').dataSync() as Float32Array, this.input.embedding);
    this.kernel = kernel;
  }

  /** Whether the WebAssembly SIMD kernel runs (false: its JavaScript twin). */
  get simd(): boolean {
    return this.live().simd;
  }

  components(layer: number): readonly ComponentInfo[] {
    const c = this.componentInfo[layer];
    if (!c) throw new RangeError(`Layer ${layer} does not exist (the model has ${this.componentInfo.length})`);
    return c;
  }

  zeroState(): Float32Array {
    return new Float32Array(this.stateLength);
  }

  run(ids: Int32Array, state: Float32Array, sinks: readonly ComponentSink[], outOffset = 0, hook?: StateHook): void {
    const kernel = this.live();
    if (state.length !== this.stateLength) throw new RangeError(`run: state has ${state.length} values, expected ${this.stateLength}`);
    // Check everything first so that a bad call leaves state and sinks untouched.
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t]!;
      if (id < 0 || id >= this.vocabSize) throw new RangeError(`run: id ${id} at ${t} is outside the vocabulary [0, ${this.vocabSize})`);
    }
    const outs: Float32Array[] = [];
    const views: Float32Array[] = [];
    const widths: number[] = [];
    for (const sink of sinks) {
      const layer = this.layers[sink.layer];
      const view = layer?.views.get(sink.component);
      if (!layer || !view) throw new RangeError(`run: layer ${sink.layer} has no component "${sink.component}"`);
      if ((outOffset + ids.length) * layer.units > sink.out.length) {
        throw new RangeError(`run: the ${sink.component} sink of layer ${sink.layer} holds fewer than ${outOffset + ids.length} rows`);
      }
      outs.push(sink.out);
      views.push(view);
      widths.push(layer.units);
    }
    if (ids.length === 0) return;

    const heap = kernel.heap;
    this.copyState(state, heap, true);
    for (let t = 0; t < ids.length; t++) {
      let x = this.firstProjection(kernel, ids[t]!);
      for (let l = 0; l < this.layers.length; l++) {
        const layer = this.layers[l]!;
        if (l > 0) {
          const below = this.layers[l - 1]!;
          kernel.matVec(below.h, below.units, layer.inputKernel, layer.width / PANEL, layer.bias, layer.projection);
          x = layer.projection;
        }
        if (layer.kind === 'lstm') stepLstm(kernel, layer, x);
        else if (layer.kind === 'gru') stepGru(kernel, layer, x);
        else stepRnn(kernel, layer, x);
        if (hook) hook(l, outOffset + t, layer.stateViews);
      }
      const row = outOffset + t;
      for (let s = 0; s < outs.length; s++) outs[s]!.set(views[s]!, row * widths[s]!);
    }
    this.copyState(state, heap, false);
  }

  dispose(): void {
    this.kernel = undefined;
    for (const layer of this.layers) {
      layer.views.clear();
      layer.stateViews = [];
    }
  }

  private live(): MatVecKernel {
    if (!this.kernel) throw new Error('The runner has been disposed');
    return this.kernel;
  }

  /** The flat state is, per layer, h then (LSTM) c, each `units` long, as in TfjsRunner. */
  private copyState(state: Float32Array, heap: Float32Array, intoHeap: boolean): void {
    let offset = 0;
    for (const layer of this.layers) {
      for (const at of layer.c >= 0 ? [layer.h, layer.c] : [layer.h]) {
        if (intoHeap) heap.set(state.subarray(offset, offset + layer.units), at);
        else state.set(heap.subarray(at, at + layer.units), offset);
        offset += layer.units;
      }
    }
  }

  /** Address of x·W + b for the first layer. */
  private firstProjection(kernel: MatVecKernel, id: number): number {
    const layer = this.layers[0]!;
    const { table, filled, embedding, embeddingSize } = this.input;
    const panels = layer.width / PANEL;
    if (table < 0) {
      kernel.matVec(embedding + id * embeddingSize, embeddingSize, layer.inputKernel, panels, layer.bias, layer.projection);
      return layer.projection;
    }
    const row = table + id * layer.width;
    if (filled && filled[id] === 0) {
      kernel.matVec(embedding + id * embeddingSize, embeddingSize, layer.inputKernel, panels, layer.bias, row);
      filled[id] = 1;
    }
    return row;
  }
}

/** For each padded projection column, the model's column (gate g, unit j → g·units + j), or -1. */
function gateColumns(layer: Layer): Int32Array {
  const columns = new Int32Array(layer.width).fill(-1);
  for (let g = 0; g < layer.width / layer.padded; g++) {
    for (let j = 0; j < layer.units; j++) columns[g * layer.padded + j] = g * layer.units + j;
  }
  return columns;
}

function componentAddresses(layer: Layer): [string, number][] {
  const gate = (g: number) => layer.gates + g * layer.padded;
  switch (layer.kind) {
    case 'rnn':
      return [
        ['h', layer.h],
        ['pre', layer.gates],
      ];
    case 'lstm':
      return [
        ['h', layer.h],
        ['c', layer.c],
        ['i', gate(0)],
        ['f', gate(1)],
        ['g', gate(2)],
        ['o', gate(3)],
      ];
    case 'gru':
      return [
        ['h', layer.h],
        ['z', gate(0)],
        ['r', gate(1)],
        ['n', gate(2)],
      ];
  }
}

// ---------------------------------------------------------------------------------------------
// One time step of each cell, on the heap; `x` is the address of the layer's x·W + b.
// The formulas are those of rnnCell.ts, lstmCell.ts and gruCell.ts.
// ---------------------------------------------------------------------------------------------

function stepRnn(kernel: MatVecKernel, layer: Layer, x: number): void {
  const { units, h, gates: pre, activation } = layer;
  const m = kernel.heap;
  kernel.matVec(h, units, layer.recurrentKernel, layer.width / PANEL, x, pre);
  for (let j = 0; j < units; j++) m[h + j] = activate(activation, m[pre + j]!);
}

function stepLstm(kernel: MatVecKernel, layer: Layer, x: number): void {
  const { units, padded, h, c, gates, activation, gateActivation } = layer;
  const m = kernel.heap;
  kernel.matVec(h, units, layer.recurrentKernel, layer.width / PANEL, x, gates);
  const [i, f, g, o] = [gates, gates + padded, gates + 2 * padded, gates + 3 * padded];
  // Gates are activated in place (the sinks read them there) and read back rounded to float32,
  // as the tfjs cell's tensors are.
  for (let j = 0; j < units; j++) {
    m[i + j] = activate(gateActivation, m[i + j]!);
    m[f + j] = activate(gateActivation, m[f + j]!);
    m[g + j] = activate(activation, m[g + j]!);
    m[o + j] = activate(gateActivation, m[o + j]!);
    m[c + j] = m[f + j]! * m[c + j]! + m[i + j]! * m[g + j]!;
    m[h + j] = m[o + j]! * activate(activation, m[c + j]!);
  }
}

function stepGru(kernel: MatVecKernel, layer: Layer, x: number): void {
  const { units, padded, h, gates, activation, gateActivation } = layer;
  const m = kernel.heap;
  const [z, r, n] = [gates, gates + padded, gates + 2 * padded];
  const [xz, xr, xn] = [x, x + padded, x + 2 * padded];
  const panels = padded / PANEL;
  if (layer.resetAfter) {
    // n = act(x_n + r ⊙ (h·U_n + b'_n)) needs the recurrent projection apart from x's.
    const hp = layer.recurrentProjection;
    const [hz, hr, hn] = [hp, hp + padded, hp + 2 * padded];
    kernel.matVec(h, units, layer.recurrentKernel, 3 * panels, layer.recurrentBias, hp);
    for (let j = 0; j < units; j++) {
      m[z + j] = activate(gateActivation, m[xz + j]! + m[hz + j]!);
      m[r + j] = activate(gateActivation, m[xr + j]! + m[hr + j]!);
      m[n + j] = activate(activation, m[xn + j]! + m[r + j]! * m[hn + j]!);
    }
  } else {
    // n = act(x_n + (r ⊙ h)·U_n): z and r first, then U's n block alone (its panels follow z's and r's).
    const rh = layer.scratch;
    kernel.matVec(h, units, layer.recurrentKernel, 2 * panels, x, z);
    for (let j = 0; j < units; j++) {
      m[z + j] = activate(gateActivation, m[z + j]!);
      m[r + j] = activate(gateActivation, m[r + j]!);
      m[rh + j] = m[r + j]! * m[h + j]!;
    }
    kernel.matVec(rh, units, layer.recurrentKernel + units * 2 * padded, panels, xn, n);
    for (let j = 0; j < units; j++) m[n + j] = activate(activation, m[n + j]!);
  }
  for (let j = 0; j < units; j++) m[h + j] = m[z + j]! * m[h + j]! + (1 - m[z + j]!) * m[n + j]!;
}

/** activationFunctions.ts on one value. The switch is cheap: its branch is the same every call. */
function activate(name: ActivationName, v: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, 0.2 * v + 0.5));
    case 'relu':
      return Math.max(0, v);
    case 'linear':
      return v;
    default: {
      const unknown: never = name;
      throw new Error(`Unknown activation ${String(unknown)}`);
    }
  }
}
