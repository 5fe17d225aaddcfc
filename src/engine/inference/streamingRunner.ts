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
 * A language model prepared for recording token by token, with its whole recurrent state as one
 * flat Float32Array so that states can be copied, cached and restored cheaply (the causal cache
 * keeps snapshots of it). Implementations: the tfjs model itself (reference) and a plain-array
 * engine with a WebAssembly SIMD matrix-vector kernel (fast, for the editor).
 */
export interface StreamingRunner {
  readonly layerUnits: readonly number[];
  /** Length of a state vector: the sum over layers of stateSize × units. */
  readonly stateLength: number;
  components(layer: number): readonly ComponentInfo[];
  zeroState(): Float32Array;
  /**
   * Consumes `ids` starting from `state`, which is updated in place to the state after the last
   * id. For each sink, the values after consuming ids[k] are written at row outOffset + k.
   */
  run(ids: Int32Array, state: Float32Array, sinks: readonly ComponentSink[], outOffset?: number): void;
  /** Frees what the runner holds (tensors, WebAssembly memory). */
  dispose(): void;
}
