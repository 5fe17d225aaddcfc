import type { ComponentInfo } from '../cells/recurrentCell';

/**
 * Where a run writes one recorded internal: token k of the call goes to
 * out[(outOffset + k) * units ... + units). `units` is the layer's width.
 */
export interface ComponentSink {
  layer: number;
  component: string;
  out: Float32Array;
}

/**
 * Edits one layer's recurrent state in place right after the layer consumed a token, before the
 * layer above and the next token read it: this is how interventions (ablation, clamping) reach
 * the recurrence and the logits without touching any weight. `state` is [h] or, for an LSTM,
 * [h, c], each `units` long; `position` is the token's row, outOffset + k. Sinks see the edited
 * state (their h and c are the state) but the gates as the cell computed them.
 */
export type StateHook = (layer: number, position: number, state: readonly Float32Array[]) => void;

/**
 * A language model prepared for recording token by token, with its whole recurrent state as one
 * flat Float32Array so that states can be copied, cached and restored cheaply (the causal cache
 * keeps snapshots of it). Implementations: the tfjs model itself (reference) and a plain-array
 * engine with a WebAssembly SIMD matrix-vector kernel (fast, for the editor).
 */
export interface StreamingRunner {
  /**
   * False for a model with a bidirectional layer: each call then reads its ids as a whole text
   * from the zero state (outOffset 0, no hook), and callers must not split a text into calls.
   */
  readonly causal: boolean;
  readonly layerUnits: readonly number[];
  /** Length of a state vector: the sum over layers of stateSize × units. */
  readonly stateLength: number;
  components(layer: number): readonly ComponentInfo[];
  zeroState(): Float32Array;
  /**
   * Consumes `ids` starting from `state`, which is updated in place to the state after the last
   * id. For each sink, the values after consuming ids[k] are written at row outOffset + k.
   * `hook`, when given, edits each layer's state after every token (see StateHook).
   */
  run(ids: Int32Array, state: Float32Array, sinks: readonly ComponentSink[], outOffset?: number, hook?: StateHook): void;
  /** Frees what the runner holds (tensors, WebAssembly memory). */
  dispose(): void;
}
