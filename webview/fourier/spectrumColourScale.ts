import { decadeTicks, linearTicks } from '../shared/axisTicks';
import { formatValue } from '../shared/numberFormat';

/**
 * Maps spectrum values to positions on the colour map. Power typically spans several decades
 * (a strong periodic neuron dwarfs the rest), so besides a linear scale from 0 to the maximum
 * there is a log scale whose floor is the 1st percentile of the positive values (at most 8 and at
 * least 1 decade below the maximum): the quiet neurons' structure becomes visible.
 */
export interface ColourScale {
  log: boolean;
  /** Position in [0, 1] of a value on the colour map. */
  position(v: number): number;
  /** Legend labels at their positions, bottom (0) to top (1). */
  ticks: { position: number; label: string }[];
}

const SAMPLE = 20_000;

export function spectrumColourScale(values: Float32Array, log: boolean): ColourScale {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (!(max > 0)) max = 1;
  if (!log) {
    return {
      log,
      position: (v) => v / max,
      ticks: linearTicks(0, max, 4, formatValue)
        .filter((t) => t.value <= max)
        .map((t) => ({ position: t.value / max, label: t.label })),
    };
  }
  const hi = Math.log10(max);
  const lo = Math.min(hi - 1, Math.max(hi - 8, Math.log10(lowPercentile(values, 0.01) || max * 1e-8)));
  const span = hi - lo;
  return {
    log,
    position: (v) => (v > 0 ? (Math.log10(v) - lo) / span : 0),
    ticks: decadeTicks(lo, hi, 6).map((t) => ({ position: (t.value - lo) / span, label: t.label })),
  };
}

/** The q-quantile of the positive values, from an even sample (sorting millions of bins would stall the page). */
function lowPercentile(values: Float32Array, q: number): number {
  const stride = Math.max(1, Math.floor(values.length / SAMPLE));
  const positive: number[] = [];
  for (let i = 0; i < values.length; i += stride) if (values[i]! > 0) positive.push(values[i]!);
  if (!positive.length) return 0;
  positive.sort((a, b) => a - b);
  return positive[Math.floor(q * (positive.length - 1))]!;
}
