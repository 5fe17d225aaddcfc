import * as tf from '@tensorflow/tfjs-core';
import { notCausalError } from '../bidirectional';
import type { LanguageModel, LayerState } from '../languageModel';
import type { ComponentSink, StateHook, StreamingRunner } from './streamingRunner';

/**
 * The reference StreamingRunner: the tfjs model itself, with the flat state converted to and
 * from tensors around each call. Exact by definition; slow for token-by-token editor work
 * because every step is a dozen tfjs ops. A model with a bidirectional layer reads a whole text
 * per call here too, and its flat state holds the forward cells' states only.
 */
export class TfjsRunner implements StreamingRunner {
  readonly causal: boolean;
  readonly layerUnits: readonly number[];
  readonly stateLength: number;
  private readonly stateSizes: number[];

  constructor(private readonly model: LanguageModel) {
    this.causal = model.causal;
    this.layerUnits = model.cells.map((c) => c.config.units);
    this.stateSizes = model.cells.map((c) => c.stateSize);
    this.stateLength = model.cells.reduce((n, c) => n + c.stateSize * c.config.units, 0);
  }

  components(layer: number) {
    return this.model.components(layer);
  }

  zeroState(): Float32Array {
    return new Float32Array(this.stateLength);
  }

  run(ids: Int32Array, state: Float32Array, sinks: readonly ComponentSink[], outOffset = 0, hook?: StateHook): void {
    if (!this.causal) {
      if (hook) throw notCausalError('Intervening on the recurrent state');
      if (outOffset !== 0 || state.some((v) => v !== 0)) throw notCausalError('Continuing a text from a state');
    }
    if (ids.length === 0) return;
    const wanted = new Set(sinks.map((s) => `${s.layer}/${s.component}`));
    // The hook edits plain arrays, as on the ArrayRunner: read the state back, edit, rebuild it.
    const intervene = hook
      ? (layer: number, step: number, s: LayerState): LayerState => {
          const arrays = s.map((t) => (t.dataSync() as Float32Array).slice());
          hook(layer, outOffset + step, arrays);
          return arrays.map((a) => tf.tensor2d(a, [1, a.length]));
        }
      : undefined;
    const { internals, next } = tf.tidy(() => {
      const r = this.model.run(ids, 1, ids.length, this.toTensors(state), {
        collect: (layer, c) => wanted.has(`${layer}/${c}`),
        skipLogits: true,
        intervene,
      });
      return { internals: r.internals, next: r.state };
    });
    for (const sink of sinks) {
      const values = internals[sink.layer]![sink.component]!.dataSync() as Float32Array;
      sink.out.set(values, outOffset * this.layerUnits[sink.layer]!);
    }
    let offset = 0;
    for (const layer of next) {
      for (const t of layer) {
        state.set(t.dataSync() as Float32Array, offset);
        offset += t.size;
      }
    }
    tf.dispose(internals);
    tf.dispose(next);
  }

  private toTensors(state: Float32Array): LayerState[] {
    let offset = 0;
    return this.layerUnits.map((units, layer) =>
      Array.from({ length: this.stateSizes[layer]! }, () => {
        const t = tf.tensor2d(state.subarray(offset, offset + units), [1, units]);
        offset += units;
        return t;
      }),
    );
  }

  dispose(): void {
    // The model belongs to whoever loaded it.
  }
}
