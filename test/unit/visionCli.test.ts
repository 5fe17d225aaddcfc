import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { encodePng } from '../../src/engine/pngEncoder';
import { makeImageArchitecture } from '../../src/engine/vision/imageArchitecture';
import { ImageClassifier } from '../../src/engine/vision/imageClassifier';
import { exampleImage, splitByClass } from '../../src/engine/vision/imageDataset';
import { saveImageModel } from '../../src/engine/vision/imageModelFolder';
import { loadMnistDigits } from '../../src/engine/vision/mnistDigits';
import { tempDir } from './helpers';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
  const code = await main([...argv, '--backend', 'wasm'], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function readPng(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

let modelDir: string;
let work: string;

before(async () => {
  await initBackend('wasm');
  work = tempDir();
  modelDir = path.join(work, 'digits');
  const arch = makeImageArchitecture({
    kind: 'convnet',
    height: 28,
    width: 28,
    channels: 1,
    numClasses: 10,
    convBlocks: [{ filters: 4, kernel: 3 }],
    dense: [8],
  });
  const model = ImageClassifier.initialize(arch, 1);
  await saveImageModel(modelDir, { model, classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
  model.dispose();
});

describe('image CLI', () => {
  test('image-train on a folder of PNGs saves a model and reports accuracy and the confusion matrix', async () => {
    const data = path.join(work, 'data');
    for (const [name, bright] of [
      ['left', (x: number) => x < 4],
      ['right', (x: number) => x >= 4],
    ] as const) {
      fs.mkdirSync(path.join(data, name), { recursive: true });
      for (let i = 0; i < 12; i++) {
        const rgba = new Uint8Array(8 * 8 * 4);
        for (let p = 0; p < 64; p++) rgba.set([bright(p % 8) ? 200 + i : 10 * (i % 3), 0, 0, 255], p * 4);
        fs.writeFileSync(path.join(data, name, `${i}.png`), encodePng(8, 8, rgba));
      }
    }
    const out = path.join(work, 'halves');
    const r = await run(
      'image-train',
      '--data',
      data,
      '--size',
      '8x8',
      '--arch',
      'mlp',
      '--dense',
      '8',
      '--epochs',
      '4',
      '--batch',
      '4',
      '--lr',
      '0.02',
      '--test-fraction',
      '0.25',
      '--out',
      out,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').map((l) => JSON.parse(l));
    const done = lines[lines.length - 1];
    assert.equal(done.type, 'done');
    assert.deepEqual(done.classes, ['left', 'right']);
    assert.equal(done.trainImages, 18);
    assert.equal(done.testImages, 6);
    assert.equal(done.testAccuracy, 1);
    assert.deepEqual(done.confusion, [
      [3, 0],
      [0, 3],
    ]);
    assert.ok(lines.some((l) => l.type === 'progress' && l.testAccuracy !== undefined));
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    assert.equal(json.task, 'image-classifier');
    assert.equal(json.userDefinedMetadata.training.testAccuracy, 1);
    const text = await run('image-train', '--data', data, '--size', '8x8', '--arch', 'mlp', '--epochs', '1', '--out', out);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /test accuracy \d+\.\d\d% on 4 images/);
    assert.match(text.out, /confusion matrix \(rows: true class, columns: predicted\):\n\s+left\s+right\n\s+left\s+\d+\s+\d+/);
    // `info` recognises an image model folder and describes it.
    const info = await run('info', '--model', out);
    assert.equal(info.code, 0, info.err);
    assert.match(info.out, /image classifier \(mlp\), input 8×8×1/);
    assert.match(info.out, /classes: left, right/);
    assert.match(info.out, /trained on .*1\/1 epochs.*test accuracy \d+\.\d\d% on 4 images/);
  });

  test('image-maximize writes a gallery of every filter at an integer zoom', async () => {
    const png = path.join(work, 'filters.png');
    const r = await run(
      'image-maximize',
      '--model',
      modelDir,
      '--layer',
      'conv1',
      '--all',
      '--steps',
      '5',
      '--scale',
      '2',
      '--out',
      png,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.units.length, 4);
    assert.equal(j.settings.steps, 5);
    assert.equal(j.spatial, 'centre');
    const img = readPng(png);
    // 2×2 tiles of 28×28 with a 1-pixel gap, zoomed 2×.
    assert.deepEqual([img.width, img.height], [2 * 57, 2 * 57]);
    assert.equal(img.data[(0 * img.width + 56) * 4], 48, 'gap pixel');
    assert.deepEqual(img.data.subarray(0, 4), img.data.subarray(4, 8), 'zoomed pixels come in 2×2 blocks');
  });

  test('image-maximize --class visualises a class; its settings are reported', async () => {
    const r = await run(
      'image-maximize',
      '--model',
      modelDir,
      '--class',
      '3',
      '--steps',
      '30',
      '--octaves',
      '2',
      '--jitter',
      '0',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.layer, 'logits');
    assert.equal(j.units[0].unit, 3);
    assert.ok(j.units[0].finalValue > j.units[0].initialValue);
    assert.equal(j.settings.octaves, 2);
    assert.equal(j.settings.jitter, 0);
  });

  test('image-saliency, image-fool, image-invert, image-dream and image-activations on a test digit', async () => {
    const sal = path.join(work, 'saliency.png');
    let r = await run('image-saliency', '--model', modelDir, '--digit', '4', '--out', sal, '--scale', '1', '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.equal(s.input, 'test digit 4');
    assert.equal(s.class, s.predicted);
    assert.deepEqual([readPng(sal).width, readPng(sal).height], [57, 28]);
    const image = readPng(sal);
    const digit = exampleImage(splitByClass(loadMnistDigits(), 0.2).test, 4);
    assert.equal(image.data[(14 * 57 + 14) * 4], Math.round(255 * digit[14 * 28 + 14]!), 'left half is the input');

    const fool = path.join(work, 'fool.png');
    r = await run('image-fool', '--model', modelDir, '--digit', '4', '--target', '7', '--out', fool, '--scale', '1', '--json');
    assert.equal(r.code, 0, r.err);
    const f = JSON.parse(r.out);
    assert.equal(f.fooled, true);
    assert.equal(f.predicted, '7');
    assert.ok(f.linf <= f.steps * 0.01 + 1e-6);
    assert.deepEqual([readPng(fool).width, readPng(fool).height], [86, 28]);

    r = await run('image-invert', '--model', modelDir, '--digit', '4', '--layer', 'conv1', '--steps', '20', '--json');
    assert.equal(r.code, 0, r.err);
    const inv = JSON.parse(r.out);
    assert.ok(inv.finalRelativeError < inv.initialRelativeError);

    r = await run('image-dream', '--model', modelDir, '--digit', '4', '--layer', 'conv1', '--steps', '3', '--json');
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out);
    assert.ok(d.finalObjective > d.initialObjective);

    const dir = path.join(work, 'activations');
    r = await run('image-activations', '--model', modelDir, '--digit', '4', '--top', '2', '--out-dir', dir, '--scale', '1', '--json');
    assert.equal(r.code, 0, r.err);
    const a = JSON.parse(r.out);
    assert.deepEqual(
      a.layers.map((l: { name: string }) => l.name),
      ['conv1', 'pool1', 'dense1', 'logits'],
    );
    assert.equal(a.layers[0].top.length, 2);
    assert.ok(a.layers[0].top[0].mean >= a.layers[0].top[1].mean);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['conv1.png', 'dense1.png', 'input.png', 'logits.png', 'pool1.png']);
    assert.deepEqual([readPng(path.join(dir, 'conv1.png')).width, readPng(path.join(dir, 'dense1.png')).width], [57, 8]);
  });

  test('bad input gets a one-line message', async () => {
    const notImage = path.join(work, 'notes.png');
    fs.writeFileSync(notImage, 'text');
    const cases: [string[], RegExp][] = [
      [['image-fool', '--model', modelDir, '--digit', '1'], /--target is required/],
      [
        ['image-fool', '--model', modelDir, '--digit', '1', '--target', 'eleven'],
        /--target must be a class name or index 0\.\.9, not "eleven"/,
      ],
      [
        ['image-maximize', '--model', modelDir, '--layer', 'conv9', '--unit', '0'],
        /Unknown layer "conv9" \(layers: conv1, pool1, dense1, logits\)/,
      ],
      [['image-saliency', '--model', modelDir, '--image', notImage], /notes\.png is not a PNG or JPEG image/],
      [['image-saliency', '--model', modelDir, '--digit', '99999'], /--digit must be below 2000/],
      [['image-saliency', '--model', work], /Invalid image model folder .*: the model file model\.json is missing/],
      [['image-train', '--out', path.join(work, 'x'), '--arch', 'mlp', '--filters', '8'], /--filters and --kernel are for --arch convnet/],
      [['image-train', '--out', path.join(work, 'x'), '--size', '28'], /--size must look like 28x28/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.err.split('\n').length, 1);
    }
  });
});
