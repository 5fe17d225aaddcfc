import * as fs from 'node:fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { NeuronLensError } from '../errors';

/** Image files bigger than this are refused before they are read. */
export const MAX_IMAGE_FILE_BYTES = 32 * 1024 * 1024;
/** Decoded pixels (width × height) allowed; a small file can declare a huge image. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface RgbaImage {
  width: number;
  height: number;
  /** 8-bit RGBA, row-major. */
  data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg';

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decodes PNG or JPEG bytes (recognised by content, not by name); `what` names the file in errors. */
export function decodeImage(bytes: Uint8Array, what: string): RgbaImage {
  const format = sniffImageFormat(bytes);
  if (!format) throw new NeuronLensError(`${what} is not a PNG or JPEG image`);
  try {
    if (format === 'png') {
      // IHDR is the first chunk: width and height at bytes 16..23, checked before pngjs allocates.
      if (bytes.length < 24) throw new Error('the file is truncated');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const [w, h] = [view.getUint32(16), view.getUint32(20)];
      if (w * h > MAX_IMAGE_PIXELS) throw new Error(`${w}×${h} pixels is more than the limit of ${MAX_IMAGE_PIXELS}`);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 512,
    });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    throw new NeuronLensError(`${what} is not a readable ${format.toUpperCase()} image (${(e as Error).message.slice(0, 200)})`);
  }
}

/**
 * RGBA bytes → floats in [0, 1] with 1 (grey) or 3 (RGB) channels. Transparent pixels are
 * composited over black, the background of MNIST digits; grey is Rec. 601 luma
 * (0.299 R + 0.587 G + 0.114 B).
 */
export function toChannels(img: RgbaImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) {
    const alpha = img.data[4 * p + 3]! / 255;
    const r = (img.data[4 * p]! / 255) * alpha;
    const g = (img.data[4 * p + 1]! / 255) * alpha;
    const b = (img.data[4 * p + 2]! / 255) * alpha;
    if (channels === 1) out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}

/**
 * Resizes by area averaging (like OpenCV's INTER_AREA): each output pixel is the mean of the
 * input area it covers, weighting partly covered input pixels by the covered fraction. The
 * image is stretched to the new size (aspect ratio is not kept). Downscaling does not alias;
 * upscaling gives blocky, nearest-neighbour-like pixels with blended edges.
 */
export function resizeArea(
  pixels: Float32Array,
  width: number,
  height: number,
  channels: number,
  newWidth: number,
  newHeight: number,
): Float32Array {
  if (width === newWidth && height === newHeight) return pixels.slice();
  const out = new Float32Array(newWidth * newHeight * channels);
  const sx = width / newWidth;
  const sy = height / newHeight;
  for (let oy = 0; oy < newHeight; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < newWidth; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      const o = (oy * newWidth + ox) * channels;
      for (let iy = Math.floor(y0); iy < Math.min(height, Math.ceil(y1)); iy++) {
        const wy = Math.min(y1, iy + 1) - Math.max(y0, iy);
        for (let ix = Math.floor(x0); ix < Math.min(width, Math.ceil(x1)); ix++) {
          const weight = (wy * (Math.min(x1, ix + 1) - Math.max(x0, ix))) / (sx * sy);
          const i = (iy * width + ix) * channels;
          for (let c = 0; c < channels; c++) out[o + c]! += weight * pixels[i + c]!;
        }
      }
    }
  }
  return out;
}

/** Reads an image file and converts it to the model's input: [height, width, channels] in [0, 1]. */
export function readImageFile(file: string, height: number, width: number, channels: 1 | 3): Float32Array {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new NeuronLensError(`${file} is not a file`);
    size = stat.size;
  } catch (e) {
    if (e instanceof NeuronLensError) throw e;
    throw new NeuronLensError(`Image file not found: ${file}`, 'not-found');
  }
  if (size > MAX_IMAGE_FILE_BYTES) throw new NeuronLensError(`${file} is larger than ${MAX_IMAGE_FILE_BYTES / 1048576} MB`);
  const img = decodeImage(fs.readFileSync(file), file);
  return resizeArea(toChannels(img, channels), img.width, img.height, channels, width, height);
}
