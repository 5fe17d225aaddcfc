import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { decodeDigitPack, encodeDigitPack } from '../../src/engine/vision/digitPack';
import { type ImageDataset, splitByClass } from '../../src/engine/vision/imageDataset';
import { MNIST_TEST_FRACTION, MNIST_TEST_PACK, loadMnistDigits, mnistTestDigits } from '../../src/engine/vision/mnistDigits';
import { tempDir } from './helpers';

const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function assertSameDigits(actual: ImageDataset, expected: ImageDataset): void {
  assert.deepEqual([actual.count, actual.height, actual.width, actual.channels], [expected.count, 28, 28, 1]);
  assert.deepEqual(actual.classes, expected.classes);
  assert.deepEqual(actual.labels, expected.labels);
  // Exact equality of every pixel: the pack is lossless for the package's values.
  const mismatch = actual.images.findIndex((v, i) => v !== expected.images[i]);
  assert.equal(mismatch, -1, `pixel ${mismatch}: ${actual.images[mismatch]} vs ${expected.images[mismatch]}`);
}

describe('digit pack (the held-out MNIST digits shipped in the VSIX)', () => {
  const heldOut = splitByClass(loadMnistDigits(), MNIST_TEST_FRACTION).test;

  test('round-trips the held-out digits exactly, in about a fiftieth of the JSON', () => {
    const packed = encodeDigitPack(heldOut);
    assert.ok(packed.length < 400 * 1024, `${packed.length} bytes`);
    assertSameDigits(decodeDigitPack(packed, 'pack', CLASSES, 'mnist'), heldOut);
    assert.equal(heldOut.count, 2000);
  });

  test('the file the build writes next to the bundles holds the same digits as the package', () => {
    // The build's file when dist/ is built (npm test builds first), else the build's script run here.
    let built = path.join(__dirname, '..', '..', 'dist', MNIST_TEST_PACK);
    if (!fs.existsSync(built)) {
      const out = tempDir();
      const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'scripts', 'packMnist.ts'), out], {
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      built = path.join(out, MNIST_TEST_PACK);
    }
    assertSameDigits(decodeDigitPack(fs.readFileSync(built), built, CLASSES, 'mnist'), heldOut);
  });

  test('from source, the panel and --digit get the held-out split of the package', () => {
    assertSameDigits(mnistTestDigits(), heldOut);
  });

  test('refuses values it could not reproduce, and corrupt or foreign files, with what is wrong', () => {
    const odd = { ...heldOut, images: heldOut.images.slice(), count: heldOut.count };
    odd.images[5] = 0.5;
    assert.throws(() => encodeDigitPack(odd), /Pixel value 0.5 \(image 0\) is not a 3-decimal k\/255/);
    const packed = encodeDigitPack(heldOut);
    assert.throws(() => decodeDigitPack(Buffer.from('plain text'), 'x.bin', CLASSES, 'mnist'), /x.bin is not a digit pack/);
    assert.throws(
      () => decodeDigitPack(gzipSync(Buffer.from('NOTDIGITS and more bytes')), 'x.bin', CLASSES, 'mnist'),
      /header is missing or wrong/,
    );
    const raw = gunzipSync(packed);
    assert.throws(() => decodeDigitPack(gzipSync(raw.subarray(0, raw.length - 10)), 'x.bin', CLASSES, 'mnist'), /truncated/);
    assert.throws(() => decodeDigitPack(packed, 'x.bin', ['a', 'b'], 'mnist'), /does not match its header/);
  });
});
