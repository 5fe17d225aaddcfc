import * as tf from '@tensorflow/tfjs-core';
import type { CellConfig } from '../cells/recurrentCell';
import { scalarActivation } from './activationDerivatives';
import { transpose } from './matrixLayout';
import {
  type BackwardOptions,
  type BackwardResult,
  type InternalSeed,
  type RecurrentLayerPass,
  unknownComponent,
} from './recurrentLayerPass';
import { productOf, rowProduct } from './rowProduct';

/**
 * LSTM layer, gate order [i, f, g, o] as LstmCell:
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ act(c_t).
 * Backward, with a = act(c_t) and dh including the recurrent term dz_{t+1}·Uᵀ:
 *   dc = dc_{t+1} ⊙ f_{t+1} + dh ⊙ o ⊙ act'(a),  dz = [dc⊙g⊙σ'(i), dc⊙c_{t-1}⊙σ'(f), dc⊙i⊙act'(g), dh⊙a⊙σ'(o)].
 */
export class LstmLayerPass implements RecurrentLayerPass {
  readonly projectionSize: number;
  private readonly units: number;
  private readonly rows: number;
  private gates = new Float32Array(0);
  private cells = new Float32Array(0);
  private cellOutputs = new Float32Array(0);
  private outputs = new Float32Array(0);

  constructor(
    private readonly config: CellConfig,
    private readonly recurrentKernel: tf.Tensor2D,
    private readonly batch: number,
    private readonly steps: number,
    private readonly h0: Float32Array,
    private readonly c0: Float32Array,
  ) {
    this.units = config.units;
    this.projectionSize = 4 * config.units;
    this.rows = batch * steps;
  }

  forward(projected: Float32Array): Float32Array {
    const { batch, units: H, projectionSize: G } = this;
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const gates = (this.gates = new Float32Array(this.rows * G));
    const cells = (this.cells = new Float32Array(this.rows * H));
    const cellOutputs = (this.cellOutputs = new Float32Array(this.rows * H));
    const outputs = (this.outputs = new Float32Array(this.rows * H));
    let hPrev = this.h0;
    let cPrev = this.c0;
    for (let t = 0; t < this.steps; t++) {
      const recurrent = rowProduct(hPrev, batch, this.recurrentKernel);
      for (let b = 0; b < batch; b++) {
        const r = t * batch + b;
        const p = r * G;
        const q = b * G;
        for (let j = 0; j < H; j++) {
          const i = gate.apply(projected[p + j]! + recurrent[q + j]!);
          const f = gate.apply(projected[p + H + j]! + recurrent[q + H + j]!);
          const g = act.apply(projected[p + 2 * H + j]! + recurrent[q + 2 * H + j]!);
          const o = gate.apply(projected[p + 3 * H + j]! + recurrent[q + 3 * H + j]!);
          const c = Math.fround(f * cPrev[b * H + j]! + i * g);
          const a = act.apply(c);
          gates[p + j] = i;
          gates[p + H + j] = f;
          gates[p + 2 * H + j] = g;
          gates[p + 3 * H + j] = o;
          cells[r * H + j] = c;
          cellOutputs[r * H + j] = a;
          outputs[r * H + j] = o * a;
        }
      }
      hPrev = outputs.subarray(t * batch * H, (t + 1) * batch * H);
      cPrev = cells.subarray(t * batch * H, (t + 1) * batch * H);
    }
    return outputs;
  }

  finalState(): Float32Array[] {
    const from = (this.steps - 1) * this.batch * this.units;
    return [this.outputs.slice(from), this.cells.slice(from)];
  }

  read(component: string, row: number, unit: number): number {
    const H = this.units;
    if (component === 'h') return this.outputs[row * H + unit]!;
    if (component === 'c') return this.cells[row * H + unit]!;
    const offset = ['i', 'f', 'g', 'o'].indexOf(component);
    if (offset < 0) throw unknownComponent('LSTM', component);
    return this.gates[row * this.projectionSize + offset * H + unit]!;
  }

  backward(dOutputs: Float32Array, options: BackwardOptions = {}): BackwardResult {
    const { batch, units: H, projectionSize: G, gates, cells, cellOutputs } = this;
    const { seed } = options;
    if (seed && !['c', 'i', 'f', 'g', 'o'].includes(seed.component)) throw unknownComponent('LSTM', seed.component);
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const dProjectedValues = new Float32Array(this.rows * G);
    const dcNext = new Float32Array(batch * H);
    let dhNext: Float32Array = new Float32Array(batch * H);
    const transposedKernel = tf.transpose(this.recurrentKernel) as tf.Tensor2D;
    for (let t = this.steps - 1; t >= 0; t--) {
      for (let b = 0; b < batch; b++) {
        const r = t * batch + b;
        const p = r * G;
        for (let j = 0; j < H; j++) {
          const k = b * H + j;
          const i = gates[p + j]!;
          const f = gates[p + H + j]!;
          const g = gates[p + 2 * H + j]!;
          const o = gates[p + 3 * H + j]!;
          const a = cellOutputs[r * H + j]!;
          const cPrev = t > 0 ? cells[(r - batch) * H + j]! : this.c0[k]!;
          const dh = dOutputs[r * H + j]! + dhNext[k]!;
          const dc = dcNext[k]! + dh * o * act.slopeAt(a);
          dProjectedValues[p + j] = dc * g * gate.slopeAt(i);
          dProjectedValues[p + H + j] = dc * cPrev * gate.slopeAt(f);
          dProjectedValues[p + 2 * H + j] = dc * i * act.slopeAt(g);
          dProjectedValues[p + 3 * H + j] = dh * a * gate.slopeAt(o);
          dcNext[k] = dc * f;
        }
      }
      if (seed) this.addSeed(seed, t, dProjectedValues, dcNext);
      if (t > 0) dhNext = rowProduct(dProjectedValues.subarray(t * batch * G, (t + 1) * batch * G), batch, transposedKernel);
    }
    transposedKernel.dispose();
    const dProjected = tf.tensor2d(dProjectedValues, [this.rows, G]);
    if (options.weightGradients === false) return { dProjected, dProjectedValues, recurrent: {} };
    // Each step's recurrent input is the previous step's output (h0 for the first): Hprevᵀ·dZ at once.
    const previous = new Float32Array(this.rows * H);
    previous.set(this.h0);
    previous.set(this.outputs.subarray(0, (this.rows - batch) * H), batch * H);
    const recurrentKernel = productOf(transpose(previous, this.rows, H), H, dProjected);
    return { dProjected, dProjectedValues, recurrent: { recurrent_kernel: recurrentKernel } };
  }

  /**
   * Adds step t's seed after the fused loop: a gate seed only moves its own pre-activation, and a
   * cell seed enters dc, which reaches i, f, g and (through dcNext) the step before.
   */
  private addSeed(seed: InternalSeed, t: number, dProjected: Float32Array, dcNext: Float32Array): void {
    const { batch, units: H, projectionSize: G, gates } = this;
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const j = seed.unit;
    for (let b = 0; b < batch; b++) {
      const r = t * batch + b;
      const w = seed.weights[r]!;
      if (w === 0) continue;
      const p = r * G;
      const i = gates[p + j]!;
      const f = gates[p + H + j]!;
      const g = gates[p + 2 * H + j]!;
      const o = gates[p + 3 * H + j]!;
      switch (seed.component) {
        case 'c': {
          const cPrev = t > 0 ? this.cells[(r - batch) * H + j]! : this.c0[b * H + j]!;
          dProjected[p + j]! += w * g * gate.slopeAt(i);
          dProjected[p + H + j]! += w * cPrev * gate.slopeAt(f);
          dProjected[p + 2 * H + j]! += w * i * act.slopeAt(g);
          dcNext[b * H + j]! += w * f;
          break;
        }
        case 'i':
          dProjected[p + j]! += w * gate.slopeAt(i);
          break;
        case 'f':
          dProjected[p + H + j]! += w * gate.slopeAt(f);
          break;
        case 'g':
          dProjected[p + 2 * H + j]! += w * act.slopeAt(g);
          break;
        case 'o':
          dProjected[p + 3 * H + j]! += w * gate.slopeAt(o);
          break;
      }
    }
  }
}
