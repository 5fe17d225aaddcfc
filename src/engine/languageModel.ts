import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModelArchitecture, cellConfigs, isCausal, layerOutputWidth, outputSize, validateArchitecture } from './architecture';
import { BACKWARD_PREFIX, backwardComponents, mergeDirections, notCausalError } from './bidirectional';
import { cellWeightSpecs, createCell, gateCount } from './cells/cellFactory';
import type { CellConfig, ComponentInfo, RecurrentCell } from './cells/recurrentCell';
import { Random } from './random';
import { gatherRows } from './rowGather';

/** One layer's recurrent state (e.g. [h] or [h, c]), each [batch, units]. */
export type LayerState = tf.Tensor2D[];

export interface WeightSpec {
  name: string;
  shape: number[];
}

export interface RunOptions {
  /**
   * Multiplies each layer's input and the last layer's output (dropout during training). Site 0
   * (the first layer's input) is skipped for one-hot inputs, where it would drop whole tokens.
   */
  dropoutMasks?: (site: number, rows: number, width: number) => tf.Tensor2D | undefined;
  /** Which internals to return, by layer index and component id; none when absent. */
  collect?: (layer: number, component: string) => boolean;
  /** Skip the output projection (recording only needs the internals). */
  skipLogits?: boolean;
  /**
   * Replaces a layer's state ([h] or [h, c], each [batch, units]) right after step `step` of the
   * call, before the layer above and the next step see it (interventions). The collected h and c
   * are the replaced ones. Runs inside the caller's tidy; absent, nothing extra happens per step.
   */
  intervene?: (layer: number, step: number, state: LayerState) => LayerState;
  /**
   * Continuous first-layer input instead of `ids` (activation maximisation, saliency): rows
   * b·steps + t are weights over the vocabulary, so layer 0 sees `inputWeights · kernel` (one-hot
   * models) or `(inputWeights · embedding) · kernel`; a one-hot row reproduces its token.
   */
  inputWeights?: tf.Tensor2D;
  /** Embedding models only: [batch·steps, embeddingSize] vectors in place of the embedding rows. */
  inputEmbeddings?: tf.Tensor2D;
  /**
   * Each sequence's own length when a batch is right-padded to `steps`. A causal model ignores
   * it (padding comes after every value a sequence's own tokens give); a bidirectional layer's
   * backward cell starts each sequence at its own last token, as if the padding were not there.
   */
  lengths?: ArrayLike<number>;
}

export interface RunResult {
  /** [batch × steps, vocab], row b·steps + t; absent with skipLogits. */
  logits?: tf.Tensor2D;
  /** Each layer's forward state after the last step (a backward cell's state is not carried). */
  state: LayerState[];
  /** internals[layer][component] is [batch, steps, units]; a backward component's row t is its value at token t. */
  internals: Record<string, tf.Tensor3D>[];
}

/**
 * A recurrent language model: tokens → (embedding) → stacked instrumented cells → softmax over the
 * vocabulary. Weights are tf.Variables owned by the model (dispose() frees them).
 */
export class LanguageModel {
  /** Each layer's (forward) cell. */
  readonly cells: RecurrentCell[];
  /** Each layer's backward cell (bidirectional layers), weights `layers/<i>/backward/…`; else undefined. */
  readonly backwardCells: (RecurrentCell | undefined)[];
  /**
   * Whether token t's values depend on tokens ≤ t only (no bidirectional layer). Only a causal
   * model can be run in pieces, continued from a state or trained by BPTT; a model that is not
   * causal reads each text whole.
   */
  readonly causal: boolean;
  readonly weights: Map<string, tf.Variable>;
  private readonly configs: CellConfig[];
  private readonly componentLists: (readonly ComponentInfo[])[];

  constructor(
    readonly architecture: LanguageModelArchitecture,
    weights: Map<string, tf.Tensor>,
  ) {
    validateArchitecture(architecture);
    const specs = modelWeightSpecs(architecture);
    // Check everything before creating any variable, so a bad weight leaves nothing registered.
    for (const spec of specs) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`Weight "${spec.name}" is missing`);
      if (!tf.util.arraysEqual(w.shape, spec.shape)) {
        throw new Error(`Weight "${spec.name}" has shape [${w.shape.join(', ')}], expected [${spec.shape.join(', ')}]`);
      }
    }
    const id = nextModelId++;
    this.weights = new Map(specs.map((spec) => [spec.name, tf.variable(weights.get(spec.name)!, true, `${spec.name}_${id}`)]));
    this.configs = cellConfigs(architecture);
    const cellAt = (config: CellConfig, prefix: string) => {
      const cellWeights = new Map<string, tf.Tensor>();
      for (const [name, v] of this.weights) if (name.startsWith(prefix)) cellWeights.set(name.slice(prefix.length), v);
      return createCell(config, cellWeights);
    };
    this.cells = this.configs.map((config, i) => cellAt(config, `layers/${i}/`));
    this.backwardCells = this.configs.map((config, i) =>
      architecture.layers[i]!.direction === 'bidirectional' ? cellAt(config, `layers/${i}/${BACKWARD_PREFIX}`) : undefined,
    );
    this.causal = isCausal(architecture);
    this.componentLists = this.cells.map((cell, i) =>
      this.backwardCells[i] ? [...cell.components, ...backwardComponents(cell.components)] : cell.components,
    );
  }

  /** Fresh model with seeded initial weights. */
  static initialize(architecture: LanguageModelArchitecture, seed: number): LanguageModel {
    validateArchitecture(architecture);
    const rng = new Random(seed);
    const weights = new Map<string, tf.Tensor>();
    for (const spec of modelWeightSpecs(architecture)) weights.set(spec.name, initialWeight(spec, architecture, rng));
    const model = new LanguageModel(architecture, weights);
    for (const w of weights.values()) w.dispose();
    return model;
  }

  /**
   * Sets the output bias to the log of the tokens' frequencies, so training starts at the unigram
   * entropy instead of log(vocab) and spends its first steps on context, not on counting.
   */
  initOutputBiasFromCounts(ids: ArrayLike<number>): void {
    const counts = new Float32Array(this.vocabSize).fill(0.5);
    for (let i = 0; i < ids.length; i++) counts[ids[i]!]! += 1;
    const total = counts.reduce((a, b) => a + b, 0);
    const bias = tf.tensor1d(counts.map((c) => Math.log(c / total)));
    this.weight('output/bias').assign(bias);
    bias.dispose();
  }

  get vocabSize(): number {
    return this.architecture.vocabSize;
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  /** The layer's components: its cell's, then (bidirectional) the backward cell's, `backward/…`. */
  components(layer: number): readonly ComponentInfo[] {
    const list = this.componentLists[layer];
    if (!list) throw new RangeError(`Layer ${layer} does not exist (the model has ${this.cells.length})`);
    return list;
  }

  /** Neurons of each of the layer's components (of one direction). */
  layerUnits(layer: number): number {
    return this.architecture.layers[layer]?.units ?? 0;
  }

  zeroState(batch: number): LayerState[] {
    return this.cells.map((cell) => Array.from({ length: cell.stateSize }, () => tf.zeros([batch, cell.config.units]) as tf.Tensor2D));
  }

  parameterCount(): number {
    let n = 0;
    for (const w of this.weights.values()) n += w.size;
    return n;
  }

  /**
   * Runs `steps` tokens of `batch` parallel streams. `ids` is row-major [batch, steps]. Token t's
   * internals are the cell's values after consuming token t, and logits row t predicts token t+1.
   * `state` is each layer's forward state; a bidirectional layer's backward cell starts from zero
   * at the last token (each sequence's own, with `lengths`), so the call reads its tokens as
   * whole texts: only a causal model may be continued from a returned state.
   */
  run(ids: Int32Array, batch: number, steps: number, state: LayerState[], options: RunOptions = {}): RunResult {
    if (ids.length !== batch * steps) throw new Error(`run: expected ${batch * steps} ids, got ${ids.length}`);
    if (options.intervene && !this.causal) throw notCausalError('Intervening on the recurrent state');
    const lengths = options.lengths;
    if (lengths) {
      if (lengths.length !== batch) throw new Error(`run: expected ${batch} lengths, got ${lengths.length}`);
      for (let b = 0; b < batch; b++) {
        const n = lengths[b]!;
        if (!Number.isInteger(n) || n < 1 || n > steps) throw new Error(`run: length ${n} of sequence ${b} is outside [1, ${steps}]`);
      }
    }
    const internals: Record<string, tf.Tensor3D>[] = [];
    const newState: LayerState[] = [];
    let layerInput: tf.Tensor2D | undefined;
    this.cells.forEach((cell, layer) => {
      const s = state[layer];
      if (!s) throw new Error(`run: missing state for layer ${layer}`);
      const input = this.layerInput(layer, ids, layerInput, options);
      const forward = this.runDirection(layer, cell, this.project(cell, input, ids), batch, steps, s, options, false);
      newState.push(forward.state);
      const backwardCell = this.backwardCells[layer];
      if (backwardCell) {
        const zero = Array.from({ length: backwardCell.stateSize }, () => tf.zeros([batch, backwardCell.config.units]) as tf.Tensor2D);
        const projected = this.project(backwardCell, input, ids);
        const backward = this.runDirection(layer, backwardCell, projected, batch, steps, zero, options, true);
        internals.push({ ...forward.collected, ...backward.collected });
        layerInput = mergeDirections(this.architecture.layers[layer]!.merge!, forward.outputs, backward.outputs);
      } else {
        internals.push(forward.collected);
        layerInput = forward.outputs;
      }
    });
    const last = this.maybeDropout(layerInput!, this.cells.length, options);
    const logits = options.skipLogits
      ? undefined
      : (tf.add(tf.matMul(last, this.weight('output/kernel')), this.weight('output/bias')) as tf.Tensor2D);
    return { logits, state: newState, internals };
  }

  /**
   * One direction of one layer over a projected sequence: outputs [batch·steps, units] (row
   * b·steps + t is the state at token t), the final state and the collected internals. The
   * backward direction steps from the last token to the first, resetting each sequence's state
   * to zero on its padding so that it starts at the sequence's own last token.
   */
  private runDirection(
    layer: number,
    cell: RecurrentCell,
    projected: tf.Tensor2D,
    batch: number,
    steps: number,
    initial: LayerState,
    options: RunOptions,
    backward: boolean,
  ): { outputs: tf.Tensor2D; state: LayerState; collected: Record<string, tf.Tensor3D> } {
    const perStep = tf.unstack(tf.reshape(projected, [batch, steps, cell.projectionSize]), 1) as tf.Tensor2D[];
    const prefix = backward ? BACKWARD_PREFIX : '';
    const wanted = cell.components.filter((c) => options.collect?.(layer, prefix + c.id) ?? false).map((c) => c.id);
    const collected: Record<string, tf.Tensor2D[]> = Object.fromEntries(wanted.map((id) => [id, new Array<tf.Tensor2D>(steps)]));
    const stateIds = cell.stateSize === 2 ? ['h', 'c'] : ['h'];
    const intervene = backward ? undefined : options.intervene;
    const outputs = new Array<tf.Tensor2D>(steps);
    let s = initial;
    for (let k = 0; k < steps; k++) {
      const step = backward ? steps - 1 - k : k;
      const r = cell.step(perStep[step]!, s);
      s = r.state;
      if (backward && options.lengths) {
        const mask = paddingMask(options.lengths, step);
        if (mask) s = s.map((t) => tf.mul(t, mask));
      }
      if (intervene) {
        const edited = intervene(layer, step, s);
        s = edited;
        for (const id of wanted) collected[id]![step] = stateIds.includes(id) ? edited[stateIds.indexOf(id)]! : r.internals[id]!;
      } else {
        for (const id of wanted) collected[id]![step] = r.internals[id]!;
      }
      outputs[step] = s[0]!;
    }
    return {
      outputs: tf.reshape(tf.stack(outputs, 1), [batch * steps, cell.config.units]),
      state: s,
      collected: Object.fromEntries(wanted.map((id) => [prefix + id, tf.stack(collected[id]!, 1) as tf.Tensor3D])),
    };
  }

  /** What layer `layer` reads, after dropout; undefined for a one-hot first layer (its projection gathers kernel rows). */
  private layerInput(layer: number, ids: Int32Array, previous: tf.Tensor2D | undefined, options: RunOptions): tf.Tensor2D | undefined {
    let input: tf.Tensor2D;
    if (layer === 0) {
      const oneHot = this.architecture.embeddingSize === 0;
      if (options.inputEmbeddings && !oneHot) input = options.inputEmbeddings;
      else if (options.inputWeights) input = oneHot ? options.inputWeights : tf.matMul(options.inputWeights, this.weight('embedding'));
      else if (oneHot) return undefined;
      else input = gatherRows(this.weight('embedding') as tf.Tensor2D, ids);
    } else {
      input = previous!;
    }
    return this.maybeDropout(input, layer, options);
  }

  private project(cell: RecurrentCell, input: tf.Tensor2D | undefined, ids: Int32Array): tf.Tensor2D {
    // One-hot input: x·W is row `id` of W, so gather instead of multiplying by a one-hot matrix.
    if (!input) return tf.add(gatherRows(cell.kernel, ids), cell.bias);
    return tf.add(tf.matMul(input, cell.kernel), cell.bias);
  }

  private maybeDropout(x: tf.Tensor2D, site: number, options: RunOptions): tf.Tensor2D {
    const mask = options.dropoutMasks?.(site, x.shape[0], x.shape[1]);
    return mask ? tf.mul(x, mask) : x;
  }

  weight(name: string): tf.Variable {
    const w = this.weights.get(name);
    if (!w) throw new Error(`Weight "${name}" does not exist`);
    return w;
  }

  dispose(): void {
    for (const w of this.weights.values()) w.dispose();
    this.weights.clear();
  }
}

let nextModelId = 0;

/** [batch, 1]: 1 where token `step` belongs to its sequence, 0 on padding; undefined when no sequence is padded there. */
function paddingMask(lengths: ArrayLike<number>, step: number): tf.Tensor2D | undefined {
  const mask = Float32Array.from(lengths, (n) => (step < n ? 1 : 0));
  return mask.includes(0) ? tf.tensor2d(mask, [mask.length, 1]) : undefined;
}

export function modelWeightSpecs(arch: LanguageModelArchitecture): WeightSpec[] {
  const specs: WeightSpec[] = [];
  if (arch.embeddingSize > 0) specs.push({ name: 'embedding', shape: [arch.vocabSize, arch.embeddingSize] });
  cellConfigs(arch).forEach((config, i) => {
    const directions = arch.layers[i]!.direction === 'bidirectional' ? ['', BACKWARD_PREFIX] : [''];
    for (const direction of directions) {
      for (const w of cellWeightSpecs(config)) specs.push({ name: `layers/${i}/${direction}${w.name}`, shape: [...w.shape] });
    }
  });
  const top = layerOutputWidth(arch.layers[arch.layers.length - 1]!);
  const out = outputSize(arch);
  specs.push({ name: 'output/kernel', shape: [top, out] }, { name: 'output/bias', shape: [out] });
  return specs;
}

/**
 * PyTorch-style initialisation: U(−1/√fan, 1/√fan) for kernels, N(0, 1) for embeddings, zero
 * biases except the LSTM forget gate (1), which lets gradients through long spans from the start.
 */
function initialWeight(spec: WeightSpec, arch: LanguageModelArchitecture, rng: Random): tf.Tensor {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  // `layers/<i>/<part>` or `layers/<i>/backward/<part>`.
  const path = spec.name.split('/');
  const layerIndex = path[0] === 'layers' ? path[1] : undefined;
  const part = path[0] === 'layers' ? path[path.length - 1] : undefined;
  if (spec.name === 'embedding') {
    for (let i = 0; i < size; i++) values[i] = rng.normal();
  } else if (part === 'bias' || part === 'recurrent_bias' || spec.name === 'output/bias') {
    if (arch.cell === 'lstm' && part === 'bias') {
      const units = arch.layers[Number(layerIndex)]!.units;
      values.fill(1, units, 2 * units);
    }
  } else {
    const fan = spec.name === 'output/kernel' ? spec.shape[0]! : spec.shape[1]! / gateCount({ kind: arch.cell });
    const k = 1 / Math.sqrt(fan);
    for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * k;
  }
  return tf.tensor(values, spec.shape);
}
