import { largestDisagreements } from '../shared/traceDisagreements';
import { pearson, spearman } from './correlation';
import { NeuronLensError } from './errors';
import { Random } from './random';

export interface ComparisonOptions {
  /** Bins per axis of the 2-D histogram (default 20). */
  bins?: number;
  /** Points kept for a scatter plot (default 1,000; all when the text is shorter). */
  sampleSize?: number;
  /** Tokens listed where the two differ most (default 10). */
  disagreements?: number;
  seed?: number;
}

export interface NeuronComparison {
  tokens: number;
  pearson: number;
  spearman: number;
  /** counts[i × bins + j]: tokens with a in bin i and b in bin j; equal-width bins over each range. */
  histogram: { bins: number; aRange: [number, number]; bRange: [number, number]; counts: Uint32Array };
  /** A seeded uniform sample of token positions (ascending) with both values, for a scatter. */
  sample: { index: Int32Array; a: Float32Array; b: Float32Array };
  /** Tokens where the z-scored values differ most, largest difference first (ties by position). */
  disagreements: { token: number; a: number; b: number; difference: number }[];
}

/**
 * Two neuron traces over the same tokens (two neurons of one model, or one neuron in two models):
 * how they co-vary. Pearson measures a linear relation; Spearman any monotonic one, so a neuron
 * that is a saturated copy of another still scores near 1. Disagreements compare z-scores, so two
 * neurons on different scales are compared by shape.
 */
export function compareTraces(a: Float32Array, b: Float32Array, options: ComparisonOptions = {}): NeuronComparison {
  const n = a.length;
  if (b.length !== n)
    throw new NeuronLensError(`The two traces cover different tokens (${n} and ${b.length}): compare neurons on the same text`);
  if (n < 2) throw new NeuronLensError('Comparing neurons needs at least 2 tokens');
  for (const [name, trace] of [['first', a] as const, ['second', b] as const]) {
    if (!trace.every(Number.isFinite)) throw new NeuronLensError(`The ${name} trace contains values that are not finite numbers`);
  }
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000)
    throw new NeuronLensError(`Histogram bins must be an integer from 1 to 1000, not ${bins}`);

  const aRange = range(a);
  const bRange = range(b);
  const counts = new Uint32Array(bins * bins);
  for (let t = 0; t < n; t++) counts[bin(a[t]!, aRange, bins) * bins + bin(b[t]!, bRange, bins)]!++;

  const disagreements = largestDisagreements(a, b, options.disagreements ?? 10);

  const index = samplePositions(n, options.sampleSize ?? 1000, options.seed ?? 1);
  return {
    tokens: n,
    pearson: pearson(a, b),
    spearman: spearman(a, b),
    histogram: { bins, aRange, bRange, counts },
    sample: { index, a: Float32Array.from(index, (t) => a[t]!), b: Float32Array.from(index, (t) => b[t]!) },
    disagreements,
  };
}

function range(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Equal-width bin of v in [lo, hi]; the maximum falls in the last bin, a constant trace in the first. */
function bin(v: number, [lo, hi]: [number, number], bins: number): number {
  return hi > lo ? Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins)) : 0;
}

/** `size` distinct positions of 0..n−1, uniformly (Floyd's algorithm), ascending. */
function samplePositions(n: number, size: number, seed: number): Int32Array {
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Random(seed);
  const chosen = new Set<number>();
  for (let j = n - size; j < n; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}
