import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { NeuronLensError } from '../../src/engine/errors';
import { encodePng } from '../../src/engine/pngEncoder';
import { decodeImage, readImageFile, resizeArea, toChannels } from '../../src/engine/vision/imageDecode';
import { loadImageFolder } from '../../src/engine/vision/imageFolder';
import { scalePicture, tilePictures, toPicture } from '../../src/engine/vision/imagePng';
import { tempDir } from './helpers';

/** A w×h RGBA image whose pixel (x, y) is (r, g, b) = f(x, y), opaque. */
function rgba(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
  return data;
}

describe('decoding', () => {
  test('PNG and JPEG decode by content; grey is Rec. 601 luma; alpha composites over black', () => {
    const png = encodePng(2, 1, new Uint8Array([255, 0, 0, 255, 0, 0, 255, 128]));
    const img = decodeImage(png, 'x.png');
    assert.deepEqual([img.width, img.height], [2, 1]);
    const grey = toChannels(img, 1);
    assert.ok(Math.abs(grey[0]! - 0.299) < 1e-6);
    assert.ok(Math.abs(grey[1]! - 0.114 * (128 / 255)) < 1e-6);
    assert.deepEqual(Array.from(toChannels(img, 3).subarray(0, 3)), [1, 0, 0]);
    const jpg = jpeg.encode({ width: 8, height: 8, data: rgba(8, 8, () => [200, 200, 200]) }, 95).data;
    const j = decodeImage(jpg, 'x.jpg');
    assert.ok(Math.abs(toChannels(j, 1)[27]! - 200 / 255) < 0.02);
  });

  test('bad image files get a message naming the file', () => {
    const dir = tempDir();
    const cases: [string, Uint8Array, RegExp][] = [
      ['notes.png', Buffer.from('hello, not an image'), /notes\.png is not a PNG or JPEG image/],
      ['cut.png', encodePng(4, 4, new Uint8Array(64)).subarray(0, 40), /cut\.png is not a readable PNG image/],
      [
        'cut.jpg',
        jpeg.encode({ width: 8, height: 8, data: rgba(8, 8, () => [1, 2, 3]) }, 90).data.subarray(0, 30),
        /cut\.jpg is not a readable JPEG image/,
      ],
    ];
    // A PNG header declaring 100000×100000 pixels is refused before anything is allocated.
    const huge = Buffer.from(encodePng(1, 1, new Uint8Array(4)));
    huge.writeUInt32BE(100000, 16);
    huge.writeUInt32BE(100000, 20);
    cases.push(['huge.png', huge, /huge\.png is not a readable PNG image \(100000×100000 pixels is more than the limit/]);
    for (const [name, bytes, message] of cases) {
      fs.writeFileSync(path.join(dir, name), bytes);
      assert.throws(
        () => readImageFile(path.join(dir, name), 28, 28, 1),
        (e: unknown) => e instanceof NeuronLensError && message.test(e.message),
      );
    }
    assert.throws(() => readImageFile(path.join(dir, 'missing.png'), 28, 28, 1), /Image file not found: .*missing\.png/);
    assert.throws(() => readImageFile(dir, 28, 28, 1), /is not a file/);
  });
});

describe('area resize', () => {
  test('downscaling averages blocks; upscaling repeats pixels; the mean is kept for any ratio', () => {
    const four = Float32Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(Array.from(resizeArea(four, 4, 4, 1, 2, 2)), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(Array.from(resizeArea(Float32Array.from([1, 2]), 2, 1, 1, 4, 1)), [1, 1, 2, 2]);
    const src = Float32Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 37) % 11);
    const mean = (a: Float32Array): number => a.reduce((x, y) => x + y, 0) / a.length;
    const out = resizeArea(src, 7, 5, 3, 3, 4);
    assert.equal(out.length, 3 * 4 * 3);
    assert.ok(Math.abs(mean(out) - mean(src)) < 1e-4);
  });
});

describe('image folders', () => {
  function writeClass(dir: string, name: string, files: Record<string, Uint8Array>): void {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    for (const [f, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name, f), bytes);
  }

  test('one sub-folder per class, sorted; images resized to the model size; other files ignored', () => {
    const dir = tempDir();
    const white = encodePng(
      8,
      8,
      rgba(8, 8, () => [255, 255, 255]),
    );
    const leftHalf = encodePng(
      8,
      4,
      rgba(8, 4, (x) => (x < 4 ? [255, 255, 255] : [0, 0, 0])),
    );
    writeClass(dir, 'zebra', { 'a.PNG': white, 'readme.txt': Buffer.from('ignored') });
    writeClass(dir, 'ant', {
      'b.png': leftHalf,
      'c.jpg': jpeg.encode({ width: 4, height: 4, data: rgba(4, 4, () => [0, 0, 0]) }, 90).data,
    });
    const d = loadImageFolder(dir, { height: 2, width: 2, channels: 1 });
    assert.deepEqual(d.classes, ['ant', 'zebra']);
    assert.deepEqual(Array.from(d.labels), [0, 0, 1]);
    assert.deepEqual(Array.from(d.images.subarray(0, 4)), [1, 0, 1, 0]);
    assert.ok(d.images.subarray(4, 8).every((v) => v < 0.05));
    assert.deepEqual(Array.from(d.images.subarray(8, 12)), [1, 1, 1, 1]);
  });

  test('unusable folders and files are named in the message', () => {
    const dir = tempDir();
    assert.throws(() => loadImageFolder(path.join(dir, 'none'), { height: 2, width: 2, channels: 1 }), /Image folder not found/);
    writeClass(dir, 'only', { 'a.png': encodePng(1, 1, new Uint8Array(4)) });
    assert.throws(
      () => loadImageFolder(dir, { height: 2, width: 2, channels: 1 }),
      /needs at least two sub-folders, one per class \(found 1\)/,
    );
    writeClass(dir, 'empty', {});
    assert.throws(() => loadImageFolder(dir, { height: 2, width: 2, channels: 1 }), /Class folder .*empty has no PNG or JPEG images/);
    writeClass(dir, 'empty', { 'broken.png': Buffer.from('not a png') });
    assert.throws(() => loadImageFolder(dir, { height: 2, width: 2, channels: 1 }), /empty[/\\]broken\.png is not a PNG or JPEG image/);
  });
});

describe('pictures', () => {
  test('normalisations, integer zoom and galleries give the expected pixels', () => {
    const fixed = toPicture(Float32Array.from([0, 0.5, 1, 2]), 2, 2, 1, { kind: 'fixed', range: [0, 1] });
    assert.deepEqual(Array.from(fixed.rgba.filter((_, i) => i % 4 === 0)), [0, 128, 255, 255]);
    const auto = toPicture(Float32Array.from([-2, 2]), 1, 2, 1, { kind: 'auto' });
    assert.deepEqual([auto.rgba[0], auto.rgba[4]], [0, 255]);
    const signed = toPicture(Float32Array.from([0, 0.5, -0.25]), 1, 3, 1, { kind: 'signed' });
    assert.deepEqual([signed.rgba[0], signed.rgba[4], signed.rgba[8]], [128, 255, 64]);
    const big = scalePicture(fixed, 3);
    assert.deepEqual([big.width, big.height], [6, 6]);
    assert.equal(big.rgba[(2 * 6 + 2) * 4], 0);
    assert.equal(big.rgba[(2 * 6 + 3) * 4], 128);
    assert.equal(big.rgba[(3 * 6 + 3) * 4], 255);
    const gallery = tilePictures([fixed, fixed, fixed], 2, 1);
    assert.deepEqual([gallery.width, gallery.height], [5, 5]);
    assert.equal(gallery.rgba[(0 * 5 + 2) * 4], 48, 'gap');
    assert.equal(gallery.rgba[(3 * 5 + 1) * 4], 128, 'third picture, second pixel');
    assert.equal(gallery.rgba[(3 * 5 + 4) * 4], 48, 'empty slot');
    const png = PNG.sync.read(Buffer.from(encodePng(gallery.width, gallery.height, gallery.rgba)));
    assert.deepEqual([png.width, png.height], [5, 5]);
  });
});
