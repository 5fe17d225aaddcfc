import type { ValueRange } from './cells/recurrentCell';

export type Rgb = readonly [number, number, number];
export type Theme = 'dark' | 'light';

/**
 * Maps a value to [-1, 1] for colouring. Signed components (tanh outputs) use [-1, 1] as they
 * are; gates in [0, 1] are centred on 0.5 (closed = blue, open = red); unbounded values (cell
 * states, pre-activations) are divided by a robust scale of the data. Clamped, NaN → 0.
 */
export function normalise(value: number, range: ValueRange, scale = 1): number {
  if (!Number.isFinite(value)) return 0;
  const v = range === 'unit' ? 2 * value - 1 : range === 'signed' ? value : value / (scale > 0 ? scale : 1);
  return Math.max(-1, Math.min(1, v));
}

/**
 * Diverging colour for a normalised value: positive red, negative blue, zero the background
 * (black in a dark terminal, white on a light page), the intensity proportional to |v|.
 */
export function divergingColour(v: number, theme: Theme = 'dark'): Rgb {
  const a = Math.round(255 * Math.min(1, Math.abs(v)));
  if (theme === 'dark') return v >= 0 ? [a, 0, 0] : [0, 0, a];
  return v >= 0 ? [255, 255 - a, 255 - a] : [255 - a, 255 - a, 255];
}

/** Black or white text, whichever reads better on the background. */
export function textColourOn(bg: Rgb): Rgb {
  const luminance = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2];
  return luminance > 140 ? [0, 0, 0] : [255, 255, 255];
}

/** The 99th percentile of |values|: a scale for unbounded components that ignores rare spikes. */
export function robustScale(values: ArrayLike<number>): number {
  const abs = Float64Array.from(values as ArrayLike<number>, (x) => (Number.isFinite(x) ? Math.abs(x) : 0)).sort();
  if (abs.length === 0) return 1;
  const q = abs[Math.min(abs.length - 1, Math.floor(0.99 * abs.length))]!;
  return q > 0 ? q : 1;
}
