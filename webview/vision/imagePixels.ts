import type { VisionImage } from '../../src/shared/visionMessages';

/** A grey level 0…255 for `value` on the image's range (below clamps to black, above to white). */
export function greyLevel(value: number, [lo, hi]: [number, number]): number {
  if (!Number.isFinite(value)) return 0;
  const t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
  return Math.round(255 * Math.min(1, Math.max(0, t)));
}

/** The image as canvas RGBA bytes at one canvas pixel per image pixel. */
export function imageRgba(image: VisionImage): Uint8ClampedArray<ArrayBuffer> {
  const n = image.width * image.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = greyLevel(image.pixels[p * image.channels + (image.channels === 3 ? c : 0)]!, image.range);
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * The integer zoom that brings the image's longer side closest to `target` CSS pixels without
 * going below 1: a fractional zoom would draw some image pixels one screen pixel wider than others.
 */
export function integerZoom(width: number, height: number, target: number): number {
  return Math.max(1, Math.floor(target / Math.max(width, height)));
}

/** CSS pixels a strip spans at most (it wraps no further), and its height. */
const STRIP_WIDTH = 640;
const STRIP_HEIGHT = 24;

/** Horizontal and vertical zoom of one picture: square for images; a one-row strip (a dense layer) gets taller blocks to be seen at all. */
export function pictureZoom(width: number, height: number, target: number): { x: number; y: number } {
  if (height > 1) {
    const z = integerZoom(width, height, target);
    return { x: z, y: z };
  }
  return { x: Math.min(32, Math.max(1, Math.floor(STRIP_WIDTH / width))), y: STRIP_HEIGHT };
}

/** The pixel's values as shown on hover: one number, or r, g, b. */
export function pixelValueText(image: VisionImage, x: number, y: number): string {
  const at = (y * image.width + x) * image.channels;
  const values = Array.from(image.pixels.subarray(at, at + image.channels), (v) => v.toPrecision(4));
  return `${image.label} (${x}, ${y}) = ${values.join(', ')}`;
}
