import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from './errors';
import { Random } from './random';

export interface NmfOptions {
  seed: number;
  /** Most multiplicative updates (default 200). */
  iterations?: number;
  /** Stop once `errorEvery` updates improve the error by less than this fraction (default 1e-4). */
  tolerance?: number;
  /**
   * Updates between error measurements (default 10): measuring costs a third of an update (a full
   * WH product), and the error only decides when to stop.
   */
  errorEvery?: number;
}

export interface NmfResult {
  /** m × k, row-major: how much each row of V uses each factor. */
  w: Float32Array;
  /** k × n, row-major: each factor's value at each column (token). */
  h: Float32Array;
  /** Frobenius error ‖V − WH‖ after every `errorEvery` updates and after the last (never increases). */
  errors: number[];
  updates: number;
}

/** Keeps the multiplicative updates away from 0/0. */
const EPSILON = 1e-9;

/**
 * Non-negative matrix factorisation V ≈ WH with Lee & Seung's multiplicative updates for the
 * Frobenius error (H ← H ⊙ WᵀV / WᵀWH, then W ← W ⊙ VHᵀ / WHHᵀ): no step size to tune, factors
 * stay non-negative, and the error never increases, which the returned error trace shows.
 * Seeded uniform initialisation scaled to V's mean.
 */
export function nmf(v: tf.Tensor2D, k: number, options: NmfOptions): NmfResult {
  const [m, n] = v.shape;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(m, n)) {
    throw new NeuronLensError(`The number of NMF factors must be an integer from 1 to ${Math.min(m, n)}, not ${k}`);
  }
  const minimum = tf.tidy(() => tf.min(v).dataSync()[0]!);
  if (minimum < 0) throw new NeuronLensError(`NMF needs non-negative data; the smallest value is ${minimum}`);
  const rng = new Random(options.seed);
  const scale = Math.sqrt(tf.tidy(() => tf.mean(v).dataSync()[0]!) / k) || 1;
  let w = tf.tensor2d(
    Float32Array.from({ length: m * k }, () => scale * (0.1 + rng.next())),
    [m, k],
  );
  let h = tf.tensor2d(
    Float32Array.from({ length: k * n }, () => scale * (0.1 + rng.next())),
    [k, n],
  );
  const errors: number[] = [];
  const iterations = options.iterations ?? 200;
  const every = Math.max(1, options.errorEvery ?? 10);
  let updates = 0;
  try {
    while (updates < iterations) {
      const [nextW, nextH] = tf.tidy(() => {
        const hNew = tf.div(tf.mul(h, tf.matMul(w, v, true, false)), tf.add(tf.matMul(tf.matMul(w, w, true, false), h), EPSILON));
        const wNew = tf.div(tf.mul(w, tf.matMul(v, hNew, false, true)), tf.add(tf.matMul(w, tf.matMul(hNew, hNew, false, true)), EPSILON));
        return [wNew as tf.Tensor2D, hNew as tf.Tensor2D];
      });
      w.dispose();
      h.dispose();
      [w, h] = [nextW!, nextH!];
      updates++;
      if (updates % every !== 0 && updates < iterations) continue;
      errors.push(tf.tidy(() => Math.sqrt(tf.sum(tf.square(tf.sub(v, tf.matMul(w, h)))).dataSync()[0]!)));
      const before = errors[errors.length - 2];
      if (before !== undefined && before - errors[errors.length - 1]! < (options.tolerance ?? 1e-4) * before) break;
    }
    return { w: (w.dataSync() as Float32Array).slice(), h: (h.dataSync() as Float32Array).slice(), errors, updates };
  } finally {
    w.dispose();
    h.dispose();
  }
}
