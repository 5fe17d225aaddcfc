import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../shared/atomicWrite';
import { NeuronLensError } from '../../engine/errors';
import { exampleImage } from '../../engine/vision/imageDataset';
import { readImageFile } from '../../engine/vision/imageDecode';
import { type LoadedImageModel, loadImageModel } from '../../engine/vision/imageModelFolder';
import { mnistTestDigits } from '../../engine/vision/mnistDigits';
import { type Picture, pictureToPng, scalePicture, toPicture } from '../../engine/vision/imagePng';
import { type Values, num, required, str } from '../args';

/** Options shared by the image analysis commands: the model and the input image. */
export const IMAGE_INPUT_OPTIONS = {
  model: { type: 'string' },
  digit: { type: 'string' },
  image: { type: 'string' },
} as const;

export const IMAGE_INPUT_HELP = `  --model DIR              an image model folder (from image-train)
  --digit N | --image PATH the input: test digit N of the mnist package (the image-train split) or a PNG/JPEG file`;

/** "28x28" → {height: 28, width: 28}. */
export function parseSize(s: string): { height: number; width: number } {
  const m = /^(\d+)x(\d+)$/i.exec(s.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || Number(m[1]) > 512 || Number(m[2]) > 512)
    throw new NeuronLensError(`--size must look like 28x28 (height x width, at most 512), not "${s}"`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

export function formatConfusion(classes: string[], confusion: number[][]): string {
  const width = Math.max(4, ...classes.map((c) => c.length), ...confusion.flat().map((n) => String(n).length)) + 1;
  const header = ' '.repeat(width) + classes.map((c) => c.padStart(width)).join('');
  const rows = confusion.map((row, i) => classes[i]!.padStart(width) + row.map((n) => String(n).padStart(width)).join(''));
  return [header, ...rows].join('\n');
}

export interface ImageInput {
  pixels: Float32Array;
  /** What the input is, for messages and JSON. */
  label: string;
  /** The true class, when known (MNIST test digits). */
  trueClass?: number;
}

/** The input image named by --digit or --image, converted to the model's input size. */
export function readImageInput(v: Values, loaded: LoadedImageModel): ImageInput {
  const a = loaded.model.architecture;
  const file = str(v, 'image');
  if (file !== undefined) {
    if (v.digit !== undefined) throw new NeuronLensError('Give either --digit or --image, not both');
    return { pixels: readImageFile(file, a.height, a.width, a.channels as 1 | 3), label: path.basename(file) };
  }
  const index = num(v, 'digit', 0, { int: true, min: 0 })!;
  if (a.height !== 28 || a.width !== 28 || a.channels !== 1)
    throw new NeuronLensError('--digit needs a 28×28 grey model; use --image for this model');
  const test = mnistTestDigits();
  if (index >= test.count) throw new NeuronLensError(`--digit must be below ${test.count}`);
  return { pixels: exampleImage(test, index), label: `test digit ${index}`, trueClass: test.labels[index] };
}

export async function loadImageModelOption(v: Values): Promise<LoadedImageModel> {
  return loadImageModel(required(v, 'model', 'an image model folder'));
}

/** Integer zoom for written PNGs (each model pixel becomes scale × scale). */
export const PNG_SCALE_OPTION = { scale: { type: 'string' } } as const;

export function pngScale(v: Values, fallback = 8): number {
  return num(v, 'scale', fallback, { int: true, min: 1, max: 64 })!;
}

/** Writes a picture as PNG, enlarged by an integer factor, atomically. */
export async function writePicture(file: string, picture: Picture, scale: number): Promise<void> {
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(file, pictureToPng(scalePicture(picture, scale)));
}

/** The picture of a model input (values in the data range [0, 1]). */
export function inputPicture(pixels: Float32Array, shape: [number, number, number]): Picture {
  return toPicture(pixels, shape[0], shape[1], shape[2], { kind: 'fixed', range: [0, 1] });
}

/** The class index named by --NAME: a class name or a number. */
export function classOption(v: Values, name: string, classes: string[]): number | undefined {
  const x = str(v, name);
  if (x === undefined) return undefined;
  const byName = classes.indexOf(x);
  if (byName >= 0) return byName;
  const n = Number(x);
  if (x.trim() !== '' && Number.isInteger(n) && n >= 0 && n < classes.length) return n;
  throw new NeuronLensError(
    `--${name} must be a class name or index 0..${classes.length - 1}, not "${x}" (classes: ${classes.slice(0, 20).join(', ')})`,
  );
}

/** Disposes the model whatever the command does. */
export async function withImageModel(v: Values, f: (loaded: LoadedImageModel) => Promise<number>): Promise<number> {
  const loaded = await loadImageModelOption(v);
  try {
    return await f(loaded);
  } finally {
    loaded.model.dispose();
  }
}

export function round(x: number, digits = 6): number {
  return Number(x.toPrecision(digits));
}
