import * as tf from '@tensorflow/tfjs-core';
import type { CellConfig } from '../cells/recurrentCell';
import { scalarActivation } from './activationDerivatives';
import { columnSums, transpose } from './matrixLayout';
import {
  type BackwardOptions,
  type BackwardResult,
  type InternalSeed,
  type RecurrentLayerPass,
  unknownComponent,
} from './recurrentLayerPass';
import { productOf, rowProduct } from './rowProduct';

/**
 * GRU layer with the reset gate after the recurrent product (resetAfter, as GruCell with a
 * recurrent bias), gate order [z, r, n], hp = h_{t-1}·U + b':
 *   z = σ(x_z + hp_z), r = σ(x_r + hp_r), n = act(x_n + r ⊙ hp_n), h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n.
 * Backward, with dh including what flows back from step t+1:
 *   dẑ = dh⊙(h_{t-1} − n)⊙σ'(z), dn̂ = dh⊙(1 − z)⊙act'(n), dr̂ = dn̂⊙hp_n⊙σ'(r);
 *   d(x projection) = [dẑ, dr̂, dn̂], d(hp) = [dẑ, dr̂, dn̂⊙r], dh_{t-1} = dh⊙z + d(hp)·Uᵀ.
 */
export class GruLayerPass implements RecurrentLayerPass {
  readonly projectionSize: number;
  private readonly units: number;
  private readonly rows: number;
  /** z, r, n and hp_n of every step, [rows, 4·units]. */
  private saved = new Float32Array(0);
  private outputs = new Float32Array(0);

  constructor(
    private readonly config: CellConfig,
    private readonly recurrentKernel: tf.Tensor2D,
    private readonly recurrentBias: Float32Array,
    private readonly batch: number,
    private readonly steps: number,
    private readonly h0: Float32Array,
  ) {
    this.units = config.units;
    this.projectionSize = 3 * config.units;
    this.rows = batch * steps;
  }

  forward(projected: Float32Array): Float32Array {
    const { batch, units: H, projectionSize: G, recurrentBias } = this;
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const saved = (this.saved = new Float32Array(this.rows * 4 * H));
    const outputs = (this.outputs = new Float32Array(this.rows * H));
    let hPrev = this.h0;
    for (let t = 0; t < this.steps; t++) {
      const hp = rowProduct(hPrev, batch, this.recurrentKernel);
      for (let b = 0; b < batch; b++) {
        const r = t * batch + b;
        const p = r * G;
        const q = b * G;
        const s = r * 4 * H;
        for (let j = 0; j < H; j++) {
          const z = gate.apply(projected[p + j]! + hp[q + j]! + recurrentBias[j]!);
          const rg = gate.apply(projected[p + H + j]! + hp[q + H + j]! + recurrentBias[H + j]!);
          const hn = hp[q + 2 * H + j]! + recurrentBias[2 * H + j]!;
          const n = act.apply(projected[p + 2 * H + j]! + rg * hn);
          saved[s + j] = z;
          saved[s + H + j] = rg;
          saved[s + 2 * H + j] = n;
          saved[s + 3 * H + j] = hn;
          outputs[r * H + j] = z * hPrev[b * H + j]! + (1 - z) * n;
        }
      }
      hPrev = outputs.subarray(t * batch * H, (t + 1) * batch * H);
    }
    return outputs;
  }

  finalState(): Float32Array[] {
    return [this.outputs.slice((this.steps - 1) * this.batch * this.units)];
  }

  read(component: string, row: number, unit: number): number {
    const H = this.units;
    if (component === 'h') return this.outputs[row * H + unit]!;
    const offset = ['z', 'r', 'n'].indexOf(component);
    if (offset < 0) throw unknownComponent('GRU', component);
    return this.saved[row * 4 * H + offset * H + unit]!;
  }

  backward(dOutputs: Float32Array, options: BackwardOptions = {}): BackwardResult {
    const { batch, units: H, projectionSize: G, saved, outputs } = this;
    const { seed } = options;
    if (seed && !['z', 'r', 'n'].includes(seed.component)) throw unknownComponent('GRU', seed.component);
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const dProjectedValues = new Float32Array(this.rows * G);
    const dRecurrent = new Float32Array(this.rows * G);
    let dhCarry: Float32Array = new Float32Array(batch * H);
    const transposedKernel = tf.transpose(this.recurrentKernel) as tf.Tensor2D;
    for (let t = this.steps - 1; t >= 0; t--) {
      const direct = new Float32Array(batch * H);
      for (let b = 0; b < batch; b++) {
        const r = t * batch + b;
        const p = r * G;
        const s = r * 4 * H;
        for (let j = 0; j < H; j++) {
          const k = b * H + j;
          const z = saved[s + j]!;
          const rg = saved[s + H + j]!;
          const n = saved[s + 2 * H + j]!;
          const hn = saved[s + 3 * H + j]!;
          const hPrev = t > 0 ? outputs[(r - batch) * H + j]! : this.h0[k]!;
          const dh = dOutputs[r * H + j]! + dhCarry[k]!;
          const dz = dh * (hPrev - n) * gate.slopeAt(z);
          const dn = dh * (1 - z) * act.slopeAt(n);
          const dr = dn * hn * gate.slopeAt(rg);
          dProjectedValues[p + j] = dz;
          dProjectedValues[p + H + j] = dr;
          dProjectedValues[p + 2 * H + j] = dn;
          dRecurrent[p + j] = dz;
          dRecurrent[p + H + j] = dr;
          dRecurrent[p + 2 * H + j] = dn * rg;
          direct[k] = dh * z;
        }
      }
      if (seed) this.addSeed(seed, t, dProjectedValues, dRecurrent);
      if (t > 0) {
        dhCarry = rowProduct(dRecurrent.subarray(t * batch * G, (t + 1) * batch * G), batch, transposedKernel);
        for (let k = 0; k < direct.length; k++) dhCarry[k]! += direct[k]!;
      }
    }
    transposedKernel.dispose();
    const dProjected = tf.tensor2d(dProjectedValues, [this.rows, G]);
    if (options.weightGradients === false) return { dProjected, dProjectedValues, recurrent: {} };
    const previous = new Float32Array(this.rows * H);
    previous.set(this.h0);
    previous.set(outputs.subarray(0, (this.rows - batch) * H), batch * H);
    const dRecurrentTensor = tf.tensor2d(dRecurrent, [this.rows, G]);
    const recurrentKernel = productOf(transpose(previous, this.rows, H), H, dRecurrentTensor);
    dRecurrentTensor.dispose();
    const recurrentBias = tf.tensor1d(columnSums(dRecurrent, this.rows, G));
    return { dProjected, dProjectedValues, recurrent: { recurrent_kernel: recurrentKernel, recurrent_bias: recurrentBias } };
  }

  /** Adds step t's seed after the fused loop, to both the input-projection and the recurrent-product gradients. */
  private addSeed(seed: InternalSeed, t: number, dProjected: Float32Array, dRecurrent: Float32Array): void {
    const { batch, units: H, projectionSize: G, saved } = this;
    const gate = scalarActivation(this.config.recurrentActivation);
    const act = scalarActivation(this.config.activation);
    const j = seed.unit;
    for (let b = 0; b < batch; b++) {
      const r = t * batch + b;
      const w = seed.weights[r]!;
      if (w === 0) continue;
      const p = r * G;
      const s = r * 4 * H;
      const rg = saved[s + H + j]!;
      let dz = 0;
      let dr = 0;
      let dn = 0;
      if (seed.component === 'z') dz = w * gate.slopeAt(saved[s + j]!);
      else if (seed.component === 'r') dr = w * gate.slopeAt(rg);
      else {
        // n = act(x_n + r ⊙ hp_n): its pre-activation also moves r.
        dn = w * act.slopeAt(saved[s + 2 * H + j]!);
        dr = dn * saved[s + 3 * H + j]! * gate.slopeAt(rg);
      }
      dProjected[p + j]! += dz;
      dProjected[p + H + j]! += dr;
      dProjected[p + 2 * H + j]! += dn;
      dRecurrent[p + j]! += dz;
      dRecurrent[p + H + j]! += dr;
      dRecurrent[p + 2 * H + j]! += dn * rg;
    }
  }
}
