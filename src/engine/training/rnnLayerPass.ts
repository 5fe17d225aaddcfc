import * as tf from '@tensorflow/tfjs-core';
import type { CellConfig } from '../cells/recurrentCell';
import { scalarActivation } from './activationDerivatives';
import { transpose } from './matrixLayout';
import { type BackwardOptions, type BackwardResult, type RecurrentLayerPass, unknownComponent } from './recurrentLayerPass';
import { productOf, rowProduct } from './rowProduct';

/**
 * Vanilla RNN layer, as RnnCell: h_t = act(x·W + b + h_{t-1}·U).
 * Backward: dz = (dh + dz_{t+1}·Uᵀ) ⊙ act'(h_t).
 */
export class RnnLayerPass implements RecurrentLayerPass {
  readonly projectionSize: number;
  private readonly rows: number;
  private outputs = new Float32Array(0);

  constructor(
    private readonly config: CellConfig,
    private readonly recurrentKernel: tf.Tensor2D,
    private readonly batch: number,
    private readonly steps: number,
    private readonly h0: Float32Array,
  ) {
    this.projectionSize = config.units;
    this.rows = batch * steps;
  }

  forward(projected: Float32Array): Float32Array {
    const { batch, projectionSize: H } = this;
    const act = scalarActivation(this.config.activation);
    const outputs = (this.outputs = new Float32Array(this.rows * H));
    let hPrev = this.h0;
    for (let t = 0; t < this.steps; t++) {
      const recurrent = rowProduct(hPrev, batch, this.recurrentKernel);
      const at = t * batch * H;
      for (let k = 0; k < batch * H; k++) outputs[at + k] = act.apply(projected[at + k]! + recurrent[k]!);
      hPrev = outputs.subarray(at, at + batch * H);
    }
    return outputs;
  }

  finalState(): Float32Array[] {
    return [this.outputs.slice((this.steps - 1) * this.batch * this.projectionSize)];
  }

  read(component: string, row: number, unit: number): number {
    // The pre-activation is not kept; a target on it is maximised with autodiff.
    if (component !== 'h') throw unknownComponent('RNN', component);
    return this.outputs[row * this.projectionSize + unit]!;
  }

  backward(dOutputs: Float32Array, options: BackwardOptions = {}): BackwardResult {
    const { batch, projectionSize: H, outputs } = this;
    if (options.seed) throw unknownComponent('RNN', options.seed.component);
    const act = scalarActivation(this.config.activation);
    const dProjectedValues = new Float32Array(this.rows * H);
    let dhNext: Float32Array = new Float32Array(batch * H);
    const transposedKernel = tf.transpose(this.recurrentKernel) as tf.Tensor2D;
    for (let t = this.steps - 1; t >= 0; t--) {
      const at = t * batch * H;
      for (let k = 0; k < batch * H; k++) dProjectedValues[at + k] = (dOutputs[at + k]! + dhNext[k]!) * act.slopeAt(outputs[at + k]!);
      if (t > 0) dhNext = rowProduct(dProjectedValues.subarray(at, at + batch * H), batch, transposedKernel);
    }
    transposedKernel.dispose();
    const dProjected = tf.tensor2d(dProjectedValues, [this.rows, H]);
    if (options.weightGradients === false) return { dProjected, dProjectedValues, recurrent: {} };
    const previous = new Float32Array(this.rows * H);
    previous.set(this.h0);
    previous.set(outputs.subarray(0, (this.rows - batch) * H), batch * H);
    const recurrentKernel = productOf(transpose(previous, this.rows, H), H, dProjected);
    return { dProjected, dProjectedValues, recurrent: { recurrent_kernel: recurrentKernel } };
  }
}
