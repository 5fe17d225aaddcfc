import * as tf from '@tensorflow/tfjs-core';
import { NeuronLensError } from './errors';
import { Random } from './random';

export interface KMeansOptions {
  seed: number;
  /** Independent k-means++ starts; the one with the lowest inertia wins (default 4). */
  restarts?: number;
  maxIterations?: number;
}

export interface KMeansResult {
  /** Cluster of each row, numbered in order of each cluster's first row. */
  assignments: Int32Array;
  /** k × columns, row-major. */
  centroids: Float32Array;
  /** Sum of squared distances of rows to their centroids. */
  inertia: number;
  iterations: number;
}

/**
 * Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) over the rows of `data`
 * (n × d). Distances come from one matrix product per iteration, ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖²,
 * which is what makes long profiles (d = tokens) affordable. Seeded and deterministic: ties go
 * to the lower cluster, and clusters are renumbered by their first row.
 */
export function kMeans(data: tf.Tensor2D, k: number, options: KMeansOptions): KMeansResult {
  const [n, d] = data.shape;
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new NeuronLensError(`k must be an integer from 1 to ${n} (the number of items to cluster), not ${k}`);
  const rng = new Random(options.seed);
  const rowNorms = tf.tidy(() => tf.sum(tf.square(data), 1).dataSync() as Float32Array).slice();
  let best: KMeansResult | undefined;
  for (let r = 0; r < (options.restarts ?? 4); r++) {
    const run = lloyd(data, rowNorms, seedCentres(data, rowNorms, k, rng.fork()), options.maxIterations ?? 100);
    if (!best || run.inertia < best.inertia) best = run;
  }
  return { ...best!, ...renumber(best!.assignments, best!.centroids, k, d) };
}

/** k-means++: each next centre is a row drawn with probability proportional to its squared distance to the nearest centre so far. */
function seedCentres(data: tf.Tensor2D, rowNorms: Float32Array, k: number, rng: Random): number[] {
  const n = rowNorms.length;
  const centres = [rng.int(n)];
  const nearest = new Float64Array(n).fill(Infinity);
  while (true) {
    const c = centres[centres.length - 1]!;
    const dots = tf.tidy(() => tf.matMul(data, tf.slice(data, [c, 0], [1, -1]), false, true).dataSync() as Float32Array);
    for (let i = 0; i < n; i++) nearest[i] = Math.min(nearest[i]!, Math.max(0, rowNorms[i]! - 2 * dots[i]! + rowNorms[c]!));
    if (centres.length === k) return centres;
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i]!;
    let pick = -1;
    if (total > 0) {
      let u = rng.next() * total;
      for (let i = 0; i < n && pick < 0; i++) if (!centres.includes(i) && (u -= nearest[i]!) <= 0) pick = i;
    }
    // Every row already coincides with a centre (or rounding ran past the end): any unused row.
    if (pick < 0) pick = [...Array(n).keys()].find((i) => !centres.includes(i))!;
    centres.push(pick);
  }
}

function lloyd(data: tf.Tensor2D, rowNorms: Float32Array, seeds: number[], maxIterations: number): KMeansResult {
  const n = rowNorms.length;
  const k = seeds.length;
  let centroids = tf.gather(data, seeds) as tf.Tensor2D;
  let assignments: Int32Array = new Int32Array(n).fill(-1);
  let inertia = 0;
  let iterations = 0;
  try {
    for (; iterations < maxIterations; iterations++) {
      const { next, distances } = assign(data, rowNorms, centroids);
      // An emptied cluster takes the row farthest from its centre, so k clusters always remain.
      const counts = new Int32Array(k);
      for (const a of next) counts[a]!++;
      for (let c = 0; c < k; c++) {
        if (counts[c] !== 0) continue;
        let far = -1;
        for (let i = 0; i < n; i++) if (counts[next[i]!]! > 1 && (far < 0 || distances[i]! > distances[far]!)) far = i;
        counts[next[far]!]!--;
        next[far] = c;
        distances[far] = 0;
        counts[c] = 1;
      }
      inertia = distances.reduce((s, x) => s + x, 0);
      const changed = next.some((a, i) => a !== assignments[i]);
      assignments = next;
      if (!changed) break;
      const old = centroids;
      centroids = meanOfMembers(data, assignments, counts);
      old.dispose();
    }
    return { assignments, centroids: (centroids.dataSync() as Float32Array).slice(), inertia, iterations };
  } finally {
    centroids.dispose();
  }
}

function assign(data: tf.Tensor2D, rowNorms: Float32Array, centroids: tf.Tensor2D): { next: Int32Array; distances: Float64Array } {
  const k = centroids.shape[0];
  const [dots, centreNorms] = tf.tidy(() => [
    tf.matMul(data, centroids, false, true).dataSync() as Float32Array,
    tf.sum(tf.square(centroids), 1).dataSync() as Float32Array,
  ]);
  const n = rowNorms.length;
  const next = new Int32Array(n);
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let bestC = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const dist = rowNorms[i]! - 2 * dots[i * k + c]! + centreNorms[c]!;
      if (dist < bestD) [bestC, bestD] = [c, dist];
    }
    next[i] = bestC;
    distances[i] = Math.max(0, bestD);
  }
  return { next, distances };
}

function meanOfMembers(data: tf.Tensor2D, assignments: Int32Array, counts: Int32Array): tf.Tensor2D {
  const k = counts.length;
  const n = assignments.length;
  const weights = new Float32Array(k * n);
  assignments.forEach((c, i) => (weights[c * n + i] = 1 / counts[c]!));
  return tf.tidy(() => tf.matMul(tf.tensor2d(weights, [k, n]), data));
}

function renumber(
  assignments: Int32Array,
  centroids: Float32Array,
  k: number,
  d: number,
): { assignments: Int32Array; centroids: Float32Array } {
  const order: number[] = [];
  for (const a of assignments) if (!order.includes(a)) order.push(a);
  const newId = new Int32Array(k);
  order.forEach((old, i) => (newId[old] = i));
  const out = new Float32Array(k * d);
  order.forEach((old, i) => out.set(centroids.subarray(old * d, (old + 1) * d), i * d));
  return { assignments: assignments.map((a) => newId[a]!), centroids: out };
}
