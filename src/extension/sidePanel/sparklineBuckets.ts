/**
 * Sparklines of every neuron of a component over a document, compressed to a few dozen points.
 * Tokens are split into equal buckets and each bucket keeps its most extreme value (the one
 * furthest from the component's resting value, with its sign): an average would flatten exactly
 * the rare spikes (a neuron that fires on full stops) that make a neuron worth a look. Rows arrive
 * in chunks, so a 200,000-token document never has to be held at once.
 */
import type { ValueRange } from '../palette';

export const SPARKLINE_POINTS = 64;

/** The value a component rests at: 0 for tanh outputs and unbounded states, 0.5 for sigmoid gates (as the editor's colour scale). */
export function restingValue(range: ValueRange): number {
  return range === 'unit' ? 0.5 : 0;
}

export class SparklineBuckets {
  /** Points per neuron: one per token for documents shorter than SPARKLINE_POINTS. */
  readonly points: number;
  /** units × points, neuron-major. */
  readonly values: Float32Array;
  /** |value − baseline| of each cell's value so far; −1 before the bucket's first token. */
  private readonly reach: Float32Array;

  constructor(
    readonly units: number,
    readonly tokens: number,
    readonly baseline: number,
    maxPoints = SPARKLINE_POINTS,
  ) {
    this.points = Math.max(0, Math.min(maxPoints, tokens));
    this.values = new Float32Array(units * this.points).fill(baseline);
    this.reach = new Float32Array(units * this.points).fill(-1);
  }

  /** The bucket of token t: floor(t · points / tokens), so buckets differ in size by at most one token. */
  bucketOf(token: number): number {
    return Math.floor((token * this.points) / this.tokens);
  }

  /** Folds in rows (tokens × units, row-major) of tokens [firstToken, firstToken + rows). */
  add(rows: Float32Array, firstToken: number): void {
    const { units, points, values, reach, baseline } = this;
    const count = Math.floor(rows.length / units);
    if (firstToken < 0 || firstToken + count > this.tokens) {
      throw new RangeError(`tokens ${firstToken}..${firstToken + count} outside 0..${this.tokens}`);
    }
    for (let r = 0; r < count; r++) {
      const bucket = this.bucketOf(firstToken + r);
      const row = r * units;
      for (let n = 0; n < units; n++) {
        const v = rows[row + n]!;
        const d = Math.abs(v - baseline);
        const cell = n * points + bucket;
        // NaN never wins (d > x is false), so one bad value cannot hide a bucket's real extreme.
        if (d > reach[cell]!) {
          reach[cell] = d;
          values[cell] = v;
        }
      }
    }
  }
}

/**
 * The value axis shared by every sparkline of a component, so that neurons compare at a glance:
 * the component's natural range for bounded values, and for unbounded ones (cell states,
 * pre-activations) ± the 99th percentile of |value − baseline| over the points, so that one
 * outlier does not squash all the other lines flat.
 */
export function sparklineAxis(range: ValueRange, values: Float32Array): { lo: number; hi: number; baseline: number } {
  if (range === 'signed') return { lo: -1, hi: 1, baseline: 0 };
  if (range === 'unit') return { lo: 0, hi: 1, baseline: 0.5 };
  const magnitudes = Float32Array.from(values, Math.abs)
    .filter((v) => Number.isFinite(v))
    .sort();
  const q = magnitudes.length ? magnitudes[Math.min(magnitudes.length - 1, Math.floor(0.99 * magnitudes.length))]! : 0;
  const scale = q > 0 ? q : 1;
  return { lo: -scale, hi: scale, baseline: 0 };
}
