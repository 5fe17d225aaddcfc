/**
 * Activation → colour, without VS Code: a value is placed on a scale, normalised to [-1, 1],
 * quantised into a few signed buckets, and each bucket has one CSS colour. Buckets exist so
 * that the editor needs only one decoration type per colour (a 10,000-token file is then ~20
 * setDecorations calls, not 10,000 styles).
 */
import type { NeuronValuesResult } from '../shared/protocol';

export type ValueRange = NeuronValuesResult['range'];
export type ScaleMode = 'fixed' | 'robust';
export type PaletteName = 'blueRed' | 'blueOrange' | 'singleHue';

export const PALETTE_NAMES: readonly PaletteName[] = ['blueRed', 'blueOrange', 'singleHue'];

/** Buckets per sign: values map to buckets -LEVELS … LEVELS. */
export const LEVELS = 10;

/**
 * Background alpha of the strongest bucket. Below 1 so that the theme's own background shows
 * through: the same colours then read on light, dark and high-contrast themes and the text
 * (whose colour the theme chooses) stays legible.
 */
export const MAX_ALPHA = 0.6;

/** A value v is shown as (v - center) / halfWidth, clamped to [-1, 1]. */
export interface ColourScale {
  center: number;
  halfWidth: number;
}

/**
 * `fixed`: the component's natural range — tanh outputs as they are ([-1, 1]), gates in [0, 1]
 * centred on 0.5 (closed blue, open red), unbounded values (cell states, pre-activations) by
 * their robust scale since they have no natural one. `robust`: every neuron stretched to its own
 * 99th percentile, so that a neuron that only moves in [-0.1, 0.1] is still visible.
 */
export function colourScale(range: ValueRange, mode: ScaleMode, robustScale: number, values?: ArrayLike<number>): ColourScale {
  const robust = robustScale > 0 && Number.isFinite(robustScale) ? robustScale : 1;
  if (range === 'unit') {
    if (mode === 'fixed' || !values) return { center: 0.5, halfWidth: 0.5 };
    // The engine's robust scale is a percentile of |v|, which for gates (all positive) says
    // nothing about the spread around 0.5; this one does.
    return { center: 0.5, halfWidth: positiveOr(quantileOfDistance(values, 0.5, 0.99), 0.5) };
  }
  if (range === 'signed' && mode === 'fixed') return { center: 0, halfWidth: 1 };
  return { center: 0, halfWidth: robust };
}

/** The value on [-1, 1]: NaN is neutral (no data must not look like a strong activation), infinities clamp. */
export function normalise(value: number, scale: ColourScale): number {
  if (Number.isNaN(value)) return 0;
  const v = (value - scale.center) / (scale.halfWidth > 0 ? scale.halfWidth : 1);
  if (Number.isNaN(v)) return 0;
  return Math.max(-1, Math.min(1, v));
}

/**
 * Signed bucket of a normalised value: round(|v| · levels) with v's sign, so that values within
 * half a step of zero land in bucket 0 (shown as no colour at all by diverging palettes).
 */
export function bucketOf(normalised: number, levels = LEVELS): number {
  if (!Number.isFinite(normalised)) return Number.isNaN(normalised) ? 0 : Math.sign(normalised) * levels;
  const b = Math.round(Math.min(1, Math.abs(normalised)) * levels);
  return normalised < 0 ? -b : b;
}

/** Buckets for a whole array of values (one per token). */
export function bucketsOf(values: ArrayLike<number>, scale: ColourScale, levels = LEVELS): Int8Array {
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = bucketOf(normalise(values[i]!, scale), levels);
  return out;
}

type Rgb = readonly [number, number, number];

interface PaletteSpec {
  /** Diverging palettes leave zero transparent; a single hue runs from transparent (lowest) to full. */
  kind: 'diverging' | 'sequential';
  negative: Rgb;
  positive: Rgb;
}

// Mid-bright hues: dark enough to show on white at low alpha, bright enough on near-black.
const PALETTES: Record<PaletteName, PaletteSpec> = {
  blueRed: { kind: 'diverging', negative: [40, 110, 255], positive: [255, 50, 40] },
  // Okabe–Ito blue and orange: distinguishable with every common colour-vision deficiency.
  blueOrange: { kind: 'diverging', negative: [0, 140, 230], positive: [240, 150, 0] },
  singleHue: { kind: 'sequential', negative: [150, 80, 255], positive: [150, 80, 255] },
};

export function isPaletteName(name: unknown): name is PaletteName {
  return typeof name === 'string' && (PALETTE_NAMES as readonly string[]).includes(name);
}

/** CSS colour of a bucket, or undefined when the bucket is drawn without any colour. */
export function bucketColour(palette: PaletteName, bucket: number, levels = LEVELS): string | undefined {
  const spec = PALETTES[palette];
  const b = Math.max(-levels, Math.min(levels, Math.round(bucket)));
  const strength = spec.kind === 'diverging' ? Math.abs(b) / levels : (b + levels) / (2 * levels);
  if (strength <= 0) return undefined;
  const [r, g, bl] = b < 0 ? spec.negative : spec.positive;
  return `rgba(${r}, ${g}, ${bl}, ${Number((MAX_ALPHA * strength).toFixed(3))})`;
}

/** Every bucket that has a colour, in bucket order: what the painter makes decoration types for. */
export function paletteColours(palette: PaletteName, levels = LEVELS): { bucket: number; css: string }[] {
  const out: { bucket: number; css: string }[] = [];
  for (let b = -levels; b <= levels; b++) {
    const css = bucketColour(palette, b, levels);
    if (css) out.push({ bucket: b, css });
  }
  return out;
}

/** The q-quantile of |v - center| over the finite values (quickselect, O(n)); 0 when there are none. */
export function quantileOfDistance(values: ArrayLike<number>, center: number, q: number): number {
  const d = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) d[n++] = Math.abs(v - center);
  }
  if (n === 0) return 0;
  return select(d, n, Math.min(n - 1, Math.floor(q * n)));
}

function positiveOr(x: number, fallback: number): number {
  return x > 0 && Number.isFinite(x) ? x : fallback;
}

/** k-th smallest of a[0, n), reordering a in place (Hoare partition quickselect). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
