/**
 * Viridis, a sequential colour map: perceptually uniform, readable by the common forms of colour
 * blindness and in greyscale, and legible on both dark and light themes because it runs from dark
 * violet to bright yellow. Used where a quantity only grows (power, counts), unlike the diverging
 * blue/red palette of signed activations.
 */
const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

export const COLOUR_MAP_SIZE = 256;

/** The map sampled at COLOUR_MAP_SIZE evenly spaced points, as packed RGBA for ImageData writes. */
export const VIRIDIS_RGBA: Uint8ClampedArray = (() => {
  const out = new Uint8ClampedArray(COLOUR_MAP_SIZE * 4);
  const last = VIRIDIS_STOPS.length - 1;
  for (let i = 0; i < COLOUR_MAP_SIZE; i++) {
    const x = (i / (COLOUR_MAP_SIZE - 1)) * last;
    const j = Math.min(last - 1, Math.floor(x));
    const f = x - j;
    const a = VIRIDIS_STOPS[j]!;
    const b = VIRIDIS_STOPS[j + 1]!;
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * f);
    out[i * 4 + 3] = 255;
  }
  return out;
})();

/** Index into the map for a position in [0, 1] (clamped; NaN maps to the bottom). */
export function colourIndex(unit: number): number {
  if (!(unit > 0)) return 0;
  return Math.min(COLOUR_MAP_SIZE - 1, Math.round(unit * (COLOUR_MAP_SIZE - 1)));
}

export function colourCss(unit: number): string {
  const i = colourIndex(unit) * 4;
  return `rgb(${VIRIDIS_RGBA[i]}, ${VIRIDIS_RGBA[i + 1]}, ${VIRIDIS_RGBA[i + 2]})`;
}
