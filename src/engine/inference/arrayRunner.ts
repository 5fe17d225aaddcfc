import { DIRECTION_MERGES, type DirectionMerge, LAYER_DIRECTIONS, isBidirectional } from '../architecture';
import type { ActivationName } from '../cells/activationFunctions';
import { gateCount } from '../cells/cellFactory';
import type { CellConfig, CellKind, ComponentInfo } from '../cells/recurrentCell';
import { BACKWARD_PREFIX, notCausalError } from '../bidirectional';
import { NeuronLensError } from '../errors';
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
 * Heap addresses of one cell: a layer's, or a bidirectional layer's backward cell. Every gate
 * block is padded to `padded` (whole kernel panels), so gate g of a projection lives at
 * [g·padded, g·padded + units) and GRU can multiply by the recurrent kernel's n block alone.
 * Padding columns hold zero weights and are never read back.
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
  /** First layer: [vocab, width] projections x·W + b per id, or -1 when each token computes its own. */
  table: number;
  /** Rows of `table` already computed (embedding models fill it lazily); undefined when all are. */
  filled: Uint8Array | undefined;
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

/**
 * A StreamingRunner on plain float32 arrays, for the editor: tfjs spends more time dispatching
 * a step's dozen ops than computing them. The weights are copied once out of the model; then a
 * token costs, per layer, the recurrent product h·U (and x·W above the first layer) in the
 * WebAssembly SIMD kernel, plus the cells' elementwise formulas in JavaScript.
 *
 * A model with a bidirectional layer is not causal: each call is a whole text, run layer by
 * layer. Every cell of a layer steps over all tokens (a backward cell from the last token to the
 * first, from a zero state, with the same step code) and the layer above reads their merged h.
 */
export class ArrayRunner implements StreamingRunner {
  readonly causal: boolean;
  readonly layerUnits: readonly number[];
  readonly stateLength: number;
  private readonly vocabSize: number;
  private readonly componentInfo: (readonly ComponentInfo[])[];
  /** Each layer's cell (a bidirectional layer's forward cell). */
  private readonly layers: Layer[];
  /** Each bidirectional layer's backward cell; undefined for a forward layer. */
  private readonly backward: (Layer | undefined)[];
  private readonly merges: (DirectionMerge | undefined)[];
  /** [vocab, embeddingSize] embedding, or -1 for one-hot inputs. */
  private readonly embedding: number;
  private readonly embeddingSize: number;
  /** Not causal: one token's input to a layer above the first, copied from the outputs below. */
  private readonly inputRow: number;
  private kernel: MatVecKernel | undefined;

  constructor(model: LanguageModel, options: ArrayRunnerOptions = {}) {
    const limitation = arrayRunnerLimitation(model);
    if (limitation) throw new NeuronLensError(`The array runner cannot run this model: ${limitation}`, 'invalid-model');
    const arch = model.architecture;
    this.causal = model.causal;
    this.vocabSize = arch.vocabSize;
    this.layerUnits = model.cells.map((c) => c.config.units);
    this.stateLength = model.cells.reduce((n, c) => n + c.stateSize * c.config.units, 0);
    this.componentInfo = model.cells.map((_, i) => model.components(i));
    this.merges = arch.layers.map((l) => (isBidirectional(l) ? l.merge : undefined));

    // Lay out the heap first (64-byte aligned blocks), then size the memory once.
    let size = 0;
    const take = (floats: number) => {
      const at = size;
      size += Math.ceil(floats / PANEL) * PANEL;
      return at;
    };
    const oneHot = arch.embeddingSize === 0;
    const place = (config: CellConfig, first: boolean): Layer => {
      const { kind, units, inputSize, activation, recurrentActivation, resetAfter } = config;
      const padded = padToPanel(units);
      const width = gateCount(config) * padded;
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
        inputKernel: first && oneHot ? -1 : take(inputSize * width),
        table: -1,
        filled: undefined,
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
    };
    this.layers = model.cells.map((cell, i) => place(cell.config, i === 0));
    this.backward = model.backwardCells.map((cell, i) => (cell ? place(cell.config, i === 0) : undefined));
    const firstCells = [this.layers[0]!, this.backward[0]].filter((cell) => cell !== undefined);
    const tableFloats = firstCells.reduce((n, cell) => n + this.vocabSize * cell.width, 0);
    if (oneHot || tableFloats <= (options.projectionTableLimit ?? DEFAULT_PROJECTION_TABLE_LIMIT)) {
      for (const cell of firstCells) {
        cell.table = take(this.vocabSize * cell.width);
        cell.filled = oneHot ? undefined : new Uint8Array(this.vocabSize);
      }
    }
    this.embedding = oneHot ? -1 : take(this.vocabSize * arch.embeddingSize);
    this.embeddingSize = arch.embeddingSize;
    const upperInputs = model.cells.slice(1).map((c) => c.config.inputSize);
    this.inputRow = !this.causal && upperInputs.length > 0 ? take(Math.max(...upperInputs)) : -1;

    const kernel = createMatVecKernel(size, options.simd);
    const heap = kernel.heap;
    const weights = (prefix: string) => (name: string) => model.weight(`${prefix}${name}`).dataSync() as Float32Array;
    this.layers.forEach((layer, i) => fillLayer(heap, layer, weights(`layers/${i}/`), this.vocabSize));
    this.backward.forEach((layer, i) => layer && fillLayer(heap, layer, weights(`layers/${i}/${BACKWARD_PREFIX}`), this.vocabSize));
    if (!oneHot) heap.set(model.weight('embedding').dataSync() as Float32Array, this.embedding);
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
    if (!this.causal) {
      if (hook) throw notCausalError('Intervening on the recurrent state');
      if (outOffset !== 0 || state.some((v) => v !== 0)) throw notCausalError('Continuing a text from a state');
    }
    // Check everything first so that a bad call leaves state and sinks untouched.
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t]!;
      if (id < 0 || id >= this.vocabSize) throw new RangeError(`run: id ${id} at ${t} is outside the vocabulary [0, ${this.vocabSize})`);
    }
    const targets = sinks.map((sink) => this.target(sink, outOffset + ids.length));
    if (ids.length === 0) return;
    if (this.causal) this.runCausal(kernel, ids, state, targets, outOffset, hook);
    else this.runWhole(kernel, ids, state, targets);
  }

  dispose(): void {
    this.kernel = undefined;
    for (const layer of [...this.layers, ...this.backward]) {
      if (!layer) continue;
      layer.views.clear();
      layer.stateViews = [];
    }
  }

  private live(): MatVecKernel {
    if (!this.kernel) throw new Error('The runner has been disposed');
    return this.kernel;
  }

  /** Where a sink copies from (`backward/…` components: the backward cell), checked to hold `rows` rows. */
  private target(sink: ComponentSink, rows: number): SinkTarget {
    const backward = sink.component.startsWith(BACKWARD_PREFIX);
    const cell = backward ? this.backward[sink.layer] : this.layers[sink.layer];
    const view = cell?.views.get(backward ? sink.component.slice(BACKWARD_PREFIX.length) : sink.component);
    if (!cell || !view) throw new RangeError(`run: layer ${sink.layer} has no component "${sink.component}"`);
    if (rows * cell.units > sink.out.length) {
      throw new RangeError(`run: the ${sink.component} sink of layer ${sink.layer} holds fewer than ${rows} rows`);
    }
    return { cell, view, out: sink.out };
  }

  /** Token by token through every layer, from `state`. */
  private runCausal(
    kernel: MatVecKernel,
    ids: Int32Array,
    state: Float32Array,
    targets: SinkTarget[],
    outOffset: number,
    hook?: StateHook,
  ): void {
    const heap = kernel.heap;
    this.copyState(state, heap, true);
    for (let t = 0; t < ids.length; t++) {
      let x = this.firstProjection(kernel, this.layers[0]!, ids[t]!);
      for (let l = 0; l < this.layers.length; l++) {
        const layer = this.layers[l]!;
        if (l > 0) {
          const below = this.layers[l - 1]!;
          kernel.matVec(below.h, below.units, layer.inputKernel, layer.width / PANEL, layer.bias, layer.projection);
          x = layer.projection;
        }
        stepCell(kernel, layer, x);
        if (hook) hook(l, outOffset + t, layer.stateViews);
      }
      const row = outOffset + t;
      for (const s of targets) s.out.set(s.view, row * s.cell.units);
    }
    this.copyState(state, heap, false);
  }

  /**
   * A whole text layer by layer (not causal): each cell over every token from a zero state, then
   * the layer's outputs (a bidirectional layer's merged h) as the inputs of the layer above.
   */
  private runWhole(kernel: MatVecKernel, ids: Int32Array, state: Float32Array, targets: SinkTarget[]): void {
    let below: Float32Array | undefined;
    for (let l = 0; l < this.layers.length; l++) {
      const keep = l < this.layers.length - 1;
      const forward = this.sweep(kernel, this.layers[l]!, false, ids, below, targets, keep);
      const backwardCell = this.backward[l];
      if (backwardCell) {
        const backward = this.sweep(kernel, backwardCell, true, ids, below, targets, keep);
        below = keep ? mergeOutputs(this.merges[l]!, forward!, backward!, backwardCell.units) : undefined;
      } else {
        below = forward;
      }
    }
    // The forward cells' last states, as TfjsRunner returns them.
    this.copyState(state, kernel.heap, false);
  }

  /**
   * One cell over every token from a zero state (`reverse`: from the last token to the first),
   * reading the first layer's ids or, above it, `below` ([tokens, inputSize]). Row t of the sinks
   * and of the returned h (when `keep`) is the cell's value at token t.
   */
  private sweep(
    kernel: MatVecKernel,
    cell: Layer,
    reverse: boolean,
    ids: Int32Array,
    below: Float32Array | undefined,
    targets: SinkTarget[],
    keep: boolean,
  ): Float32Array | undefined {
    const { units, stateViews } = cell;
    for (const s of stateViews) s.fill(0);
    const mine = targets.filter((s) => s.cell === cell);
    const steps = ids.length;
    const outputs = keep ? new Float32Array(steps * units) : undefined;
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      const x = below ? this.belowProjection(kernel, cell, below, t) : this.firstProjection(kernel, cell, ids[t]!);
      stepCell(kernel, cell, x);
      if (outputs) outputs.set(stateViews[0]!, t * units);
      for (const s of mine) s.out.set(s.view, t * units);
    }
    return outputs;
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

  /** Address of x·W + b for a first-layer cell. */
  private firstProjection(kernel: MatVecKernel, cell: Layer, id: number): number {
    const { table, filled } = cell;
    const panels = cell.width / PANEL;
    const x = this.embedding + id * this.embeddingSize;
    if (table < 0) {
      kernel.matVec(x, this.embeddingSize, cell.inputKernel, panels, cell.bias, cell.projection);
      return cell.projection;
    }
    const row = table + id * cell.width;
    if (filled && filled[id] === 0) {
      kernel.matVec(x, this.embeddingSize, cell.inputKernel, panels, cell.bias, row);
      filled[id] = 1;
    }
    return row;
  }

  /** Address of x·W + b for a cell above the first layer, x being row t of the outputs below. */
  private belowProjection(kernel: MatVecKernel, cell: Layer, below: Float32Array, t: number): number {
    const n = cell.inputSize;
    kernel.heap.set(below.subarray(t * n, (t + 1) * n), this.inputRow);
    kernel.matVec(this.inputRow, n, cell.inputKernel, cell.width / PANEL, cell.bias, cell.projection);
    return cell.projection;
  }
}

/** A sink resolved to the cell and heap view it copies after each token. */
interface SinkTarget {
  cell: Layer;
  view: Float32Array;
  out: Float32Array;
}

/**
 * Why the array runner cannot run a model, or undefined when it can. It implements the layer
 * directions and merges of the architecture; an architecture object that was not validated
 * (say, a merge added later) runs on tfjs instead (createStreamingRunner).
 */
export function arrayRunnerLimitation(model: LanguageModel): string | undefined {
  for (const [i, layer] of model.architecture.layers.entries()) {
    const direction = layer.direction ?? 'forward';
    if (!LAYER_DIRECTIONS.includes(direction)) return `layer ${i} has direction "${String(direction)}"`;
    if (isBidirectional(layer) && !DIRECTION_MERGES.includes(layer.merge!)) {
      return `layer ${i} merges its two directions by "${String(layer.merge)}"`;
    }
  }
  return undefined;
}

/** Copies a cell's weights into its heap blocks; `weight` reads the cell's `kernel`, `bias`… */
function fillLayer(heap: Float32Array, layer: Layer, weight: (name: string) => Float32Array, vocabSize: number): void {
  const columns = gateColumns(layer);
  const bias = weight('bias');
  if (layer.inputKernel >= 0) packPanels(heap, layer.inputKernel, weight('kernel'), layer.inputSize, bias.length, columns);
  packPanels(heap, layer.recurrentKernel, weight('recurrent_kernel'), layer.units, bias.length, columns);
  packPanels(heap, layer.bias, bias, 1, 0, columns);
  if (layer.recurrentBias >= 0) packPanels(heap, layer.recurrentBias, weight('recurrent_bias'), 1, 0, columns);
  if (layer.inputKernel < 0) {
    // x·W for a one-hot x is row `id` of W: the projection table is W + b, laid out like the gates.
    const w = weight('kernel');
    for (let id = 0; id < vocabSize; id++) {
      const row = layer.table + id * layer.width;
      for (let j = 0; j < layer.width; j++) {
        const s = columns[j]!;
        if (s >= 0) heap[row + j] = w[id * bias.length + s]! + bias[s]!;
      }
    }
  }
  for (const [id, at] of componentAddresses(layer)) layer.views.set(id, heap.subarray(at, at + layer.units));
  layer.stateViews = (layer.c >= 0 ? [layer.h, layer.c] : [layer.h]).map((at) => heap.subarray(at, at + layer.units));
}

/**
 * What the layer above reads at each token of a bidirectional layer ([tokens, units] per
 * direction): bidirectional.ts' mergeDirections on arrays, rounded to float32 as its ops are.
 */
function mergeOutputs(merge: DirectionMerge, forward: Float32Array, backward: Float32Array, units: number): Float32Array {
  switch (merge) {
    case 'concat': {
      const out = new Float32Array(2 * forward.length);
      for (let at = 0; at < forward.length; at += units) {
        out.set(forward.subarray(at, at + units), 2 * at);
        out.set(backward.subarray(at, at + units), 2 * at + units);
      }
      return out;
    }
    case 'sum':
      return forward.map((f, k) => f + backward[k]!);
    case 'ave':
      return forward.map((f, k) => Math.fround(f + backward[k]!) / 2);
    case 'mul':
      return forward.map((f, k) => f * backward[k]!);
    default: {
      const unknown: never = merge;
      throw new Error(`Unknown merge ${String(unknown)}`);
    }
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

/** One time step of a cell, whichever its direction: a backward cell is only fed tokens in reverse. */
function stepCell(kernel: MatVecKernel, layer: Layer, x: number): void {
  if (layer.kind === 'lstm') stepLstm(kernel, layer, x);
  else if (layer.kind === 'gru') stepGru(kernel, layer, x);
  else stepRnn(kernel, layer, x);
}

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
