import { parseColour } from './themeColours';

/**
 * The diverging palette of activations: negative values blend from the theme's background towards
 * blue, positive ones towards red, so zero is indistinguishable from the page and only signal
 * stands out, in dark and light themes alike. Values arrive already normalised to [-1, 1] and
 * quantised to DIVERGING_STEPS levels per side, so a whole heatmap is coloured by table look-up.
 */
export const DIVERGING_STEPS = 255;

/** Index into the table of a normalised value in [-1, 1] (clamped; NaN is neutral). */
export function divergingIndex(v: number): number {
  if (!(v === v)) return DIVERGING_STEPS;
  const clamped = v < -1 ? -1 : v > 1 ? 1 : v;
  return Math.round(clamped * DIVERGING_STEPS) + DIVERGING_STEPS;
}

// ImageData stores bytes R, G, B, A; a Uint32 view packs them in the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function pack(r: number, g: number, b: number): number {
  return LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

export interface DivergingColourMap {
  /** 2·DIVERGING_STEPS + 1 opaque pixels for a Uint32Array view of ImageData, indexed by divergingIndex. */
  pixels: Uint32Array;
  /** The same colours as CSS, for legends and single cells. */
  css(v: number): string;
}

export function divergingColourMap(negative: string, background: string, positive: string): DivergingColourMap {
  const bg = parseColour(background);
  const ends = [parseColour(negative), parseColour(positive)];
  const rgb: [number, number, number][] = [];
  for (let i = 0; i <= 2 * DIVERGING_STEPS; i++) {
    const v = (i - DIVERGING_STEPS) / DIVERGING_STEPS;
    const end = ends[v < 0 ? 0 : 1]!;
    // A translucent theme colour is first flattened onto the background, as the page would show it.
    const a = Math.abs(v) * end[3];
    rgb.push([0, 1, 2].map((c) => Math.round(bg[c]! + (end[c]! - bg[c]!) * a)) as [number, number, number]);
  }
  const pixels = Uint32Array.from(rgb, ([r, g, b]) => pack(r, g, b));
  return {
    pixels,
    css: (v) => {
      const [r, g, b] = rgb[divergingIndex(v)]!;
      return `rgb(${r}, ${g}, ${b})`;
    },
  };
}
