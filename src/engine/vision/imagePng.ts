import { encodePng } from '../pngEncoder';

/** An 8-bit RGBA picture. */
export interface Picture {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * How values become grey levels: 'fixed' maps [lo, hi] to black..white (images in the data's
 * range); 'auto' stretches the values' own min..max (feature maps, saliency); 'signed' maps
 * −m..m to black..white around mid grey, m = max |value| (differences).
 */
export type Normalisation = { kind: 'fixed'; range: [number, number] } | { kind: 'auto' } | { kind: 'signed' };

function bounds(values: Float32Array, n: Normalisation): [number, number] {
  if (n.kind === 'fixed') return n.range;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (n.kind === 'signed') {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    return [-m, m];
  }
  return [lo, hi];
}

/** [height, width, channels] values (1 or 3 channels) → a picture. A constant image is mid grey. */
export function toPicture(values: Float32Array, height: number, width: number, channels: number, n: Normalisation): Picture {
  if (values.length !== height * width * channels)
    throw new RangeError(`expected ${height * width * channels} values, got ${values.length}`);
  const [lo, hi] = bounds(values, n);
  const span = hi - lo;
  const rgba = new Uint8Array(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    for (let k = 0; k < 3; k++) {
      const v = values[p * channels + (channels === 3 ? k : 0)]!;
      const t = span > 0 ? (v - lo) / span : 0.5;
      rgba[4 * p + k] = Math.round(255 * Math.min(1, Math.max(0, t)));
    }
    rgba[4 * p + 3] = 255;
  }
  return { width, height, rgba };
}

/** Nearest-neighbour enlargement by a whole factor, so every pixel stays a crisp square. */
export function scalePicture(p: Picture, factor: number): Picture {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError('the scale must be a positive integer');
  const width = p.width * factor;
  const height = p.height * factor;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (Math.floor(y / factor) * p.width + Math.floor(x / factor)) * 4;
      rgba.set(p.rgba.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

/** Pictures of equal size in a grid, `gap` pixels of dark grey between them (a gallery). */
export function tilePictures(pictures: Picture[], columns: number, gap = 1): Picture {
  if (pictures.length === 0) throw new RangeError('no pictures to tile');
  const { width: w, height: h } = pictures[0]!;
  if (pictures.some((p) => p.width !== w || p.height !== h)) throw new RangeError('pictures to tile must have the same size');
  const cols = Math.min(columns, pictures.length);
  const rows = Math.ceil(pictures.length / cols);
  const width = cols * w + (cols - 1) * gap;
  const height = rows * h + (rows - 1) * gap;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([48, 48, 48, 255], i);
  pictures.forEach((p, i) => {
    const x0 = (i % cols) * (w + gap);
    const y0 = Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) rgba.set(p.rgba.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * width + x0) * 4);
  });
  return { width, height, rgba };
}

export function pictureToPng(p: Picture): Buffer {
  return encodePng(p.width, p.height, p.rgba);
}
