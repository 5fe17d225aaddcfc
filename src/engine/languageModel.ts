import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModelArchitecture, cellConfigs, outputSize, validateArchitecture } from './architecture';
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
}

export interface RunResult {
  /** [batch × steps, vocab], row b·steps + t; absent with skipLogits. */
  logits?: tf.Tensor2D;
  state: LayerState[];
  /** internals[layer][component] is [batch, steps, units]. */
  internals: Record<string, tf.Tensor3D>[];
}

/**
 * A recurrent language model: tokens → (embedding) → stacked instrumented cells → softmax over the
 * vocabulary. Weights are tf.Variables owned by the model (dispose() frees them).
 */
export class LanguageModel {
  readonly cells: RecurrentCell[];
  readonly weights: Map<string, tf.Variable>;
  private readonly configs: CellConfig[];

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
    this.cells = this.configs.map((config, i) => {
      const prefix = `layers/${i}/`;
      const cellWeights = new Map<string, tf.Tensor>();
      for (const [name, v] of this.weights) if (name.startsWith(prefix)) cellWeights.set(name.slice(prefix.length), v);
      return createCell(config, cellWeights);
    });
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

  components(layer: number): readonly ComponentInfo[] {
    const cell = this.cells[layer];
    if (!cell) throw new RangeError(`Layer ${layer} does not exist (the model has ${this.cells.length})`);
    return cell.components;
  }

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
   */
  run(ids: Int32Array, batch: number, steps: number, state: LayerState[], options: RunOptions = {}): RunResult {
    if (ids.length !== batch * steps) throw new Error(`run: expected ${batch * steps} ids, got ${ids.length}`);
    const internals: Record<string, tf.Tensor3D>[] = [];
    const newState: LayerState[] = [];
    let layerInput: tf.Tensor2D | undefined;
    this.cells.forEach((cell, layer) => {
      const projected = this.projectInput(layer, cell, ids, layerInput, options);
      const perStep = tf.unstack(tf.reshape(projected, [batch, steps, cell.projectionSize]), 1) as tf.Tensor2D[];
      let s = state[layer];
      if (!s) throw new Error(`run: missing state for layer ${layer}`);
      const outputs: tf.Tensor2D[] = [];
      const wanted = cell.components.filter((c) => options.collect?.(layer, c.id) ?? false).map((c) => c.id);
      const collected: Record<string, tf.Tensor2D[]> = Object.fromEntries(wanted.map((id) => [id, []]));
      const stateIds = cell.stateSize === 2 ? ['h', 'c'] : ['h'];
      perStep.forEach((x, step) => {
        const r = cell.step(x, s!);
        s = r.state;
        if (options.intervene) {
          const edited = options.intervene(layer, step, s);
          s = edited;
          for (const id of wanted) collected[id]!.push(stateIds.includes(id) ? edited[stateIds.indexOf(id)]! : r.internals[id]!);
        } else {
          for (const id of wanted) collected[id]!.push(r.internals[id]!);
        }
        outputs.push(s[0]!);
      });
      newState.push(s);
      internals.push(Object.fromEntries(wanted.map((id) => [id, tf.stack(collected[id]!, 1) as tf.Tensor3D])));
      layerInput = tf.reshape(tf.stack(outputs, 1), [batch * steps, cell.config.units]);
    });
    const last = this.maybeDropout(layerInput!, this.cells.length, options);
    const logits = options.skipLogits
      ? undefined
      : (tf.add(tf.matMul(last, this.weight('output/kernel')), this.weight('output/bias')) as tf.Tensor2D);
    return { logits, state: newState, internals };
  }

  private projectInput(
    layer: number,
    cell: RecurrentCell,
    ids: Int32Array,
    previous: tf.Tensor2D | undefined,
    options: RunOptions,
  ): tf.Tensor2D {
    let input: tf.Tensor2D;
    if (layer === 0) {
      const oneHot = this.architecture.embeddingSize === 0;
      if (options.inputEmbeddings && !oneHot) input = options.inputEmbeddings;
      else if (options.inputWeights) input = oneHot ? options.inputWeights : tf.matMul(options.inputWeights, this.weight('embedding'));
      // One-hot input: x·W is row `id` of W, so gather instead of multiplying by a one-hot matrix.
      else if (oneHot) return tf.add(gatherRows(cell.kernel, ids), cell.bias);
      else input = gatherRows(this.weight('embedding') as tf.Tensor2D, ids);
    } else {
      input = previous!;
    }
    input = this.maybeDropout(input, layer, options);
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

export function modelWeightSpecs(arch: LanguageModelArchitecture): WeightSpec[] {
  const specs: WeightSpec[] = [];
  if (arch.embeddingSize > 0) specs.push({ name: 'embedding', shape: [arch.vocabSize, arch.embeddingSize] });
  cellConfigs(arch).forEach((config, i) => {
    for (const w of cellWeightSpecs(config)) specs.push({ name: `layers/${i}/${w.name}`, shape: [...w.shape] });
  });
  const top = arch.layers[arch.layers.length - 1]!.units;
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
  const [, layerIndex, part] = spec.name.split('/');
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
