import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { initBackend } from '../../src/engine/backend';
import { EngineSession } from '../../src/engine/engineSession';
import { EngineClient } from '../../src/extension/engineClient';
import { makeImageArchitecture } from '../../src/engine/vision/imageArchitecture';
import { ImageClassifier } from '../../src/engine/vision/imageClassifier';
import { exampleImage, splitByClass } from '../../src/engine/vision/imageDataset';
import { saveImageModel } from '../../src/engine/vision/imageModelFolder';
import { loadMnistDigits } from '../../src/engine/vision/mnistDigits';
import { deepDream } from '../../src/engine/vision/deepDream';
import { invertFeatures } from '../../src/engine/vision/featureInversion';
import { loadImageModel } from '../../src/engine/vision/imageModelFolder';
import {
  dreamSection,
  foolingSection,
  gallerySection,
  inputSection,
  inversionSection,
  layerSection,
} from '../../src/extension/panels/visionSections';
import { type VisionSection, parseToVision } from '../../src/shared/visionMessages';
import { tempDir } from './helpers';

/**
 * The engine worker's image requests through EngineSession, on a tiny untrained ConvNet saved to a
 * folder: what the panel receives (shapes, probabilities, galleries, saliency, fooling, inversion,
 * DeepDream) and that
 * repeated requests leave no tensors behind.
 */

const CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FILTERS = 3;
const DENSE = 6;
let dir: string;
let work: string;
let session: EngineSession;

before(async () => {
  await initBackend('wasm');
  work = tempDir();
  dir = path.join(work, 'digits');
  const arch = makeImageArchitecture({
    kind: 'convnet',
    height: 28,
    width: 28,
    channels: 1,
    numClasses: 10,
    convBlocks: [{ filters: FILTERS, kernel: 3 }],
    dense: [DENSE],
  });
  const model = ImageClassifier.initialize(arch, 1);
  await saveImageModel(dir, { model, classes: CLASSES });
  model.dispose();
  session = new EngineSession();
});

after(async () => {
  await session.dispose();
  fs.rmSync(work, { recursive: true, force: true });
});

const digit = { kind: 'digit', index: 3 } as const;

describe('image requests', () => {
  test('imageModelInfo lists the layers in forward order, the classes and the test digits', async () => {
    const info = await session.imageModelInfo({ dir });
    assert.deepEqual(
      info.layers.map((l) => [l.name, l.shape]),
      [
        ['conv1', [28, 28, FILTERS]],
        ['pool1', [14, 14, FILTERS]],
        ['dense1', [DENSE]],
        ['logits', [10]],
      ],
    );
    assert.deepEqual(info.classes, CLASSES);
    assert.deepEqual(info.shape, [28, 28, 1]);
    assert.equal(info.testDigits, splitByClass(loadMnistDigits(), 0.2).test.count);
  });

  test('imageActivations: the input digit, probabilities summing to 1, every layer as a Float32Array of its shape, top units by mean', async () => {
    const r = await session.imageActivations({ dir, input: digit, top: 2 });
    const test = splitByClass(loadMnistDigits(), 0.2).test;
    assert.deepEqual(r.input.pixels, exampleImage(test, 3));
    assert.equal(r.input.trueClass, test.labels[3]);
    assert.ok(r.probabilities instanceof Float32Array);
    assert.equal(r.probabilities.length, 10);
    assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(r.predicted, r.probabilities.indexOf(Math.max(...r.probabilities)));
    for (const l of r.layers) {
      assert.ok(l.values instanceof Float32Array);
      assert.equal(
        l.values.length,
        l.shape.reduce((a, b) => a * b, 1),
        l.name,
      );
      assert.equal(l.top.length, 2);
      assert.ok(l.top[0]!.mean >= l.top[1]!.mean);
    }
    const dense = r.layers.find((l) => l.name === 'dense1')!;
    assert.equal(dense.top[0]!.mean, Math.max(...dense.values));
  });

  test('an image file is read at the model size; a missing file or a bad digit is a clear error', async () => {
    const png = new PNG({ width: 56, height: 56 });
    png.data.fill(255);
    const file = path.join(work, 'white.png');
    fs.writeFileSync(file, PNG.sync.write(png));
    const r = await session.imageActivations({ dir, input: { kind: 'file', path: file }, top: 1 });
    assert.equal(r.input.label, 'white.png');
    assert.deepEqual(r.input.shape, [28, 28, 1]);
    assert.ok(r.input.pixels.every((v) => Math.abs(v - 1) < 1e-6));
    await assert.rejects(
      session.imageActivations({ dir, input: { kind: 'file', path: path.join(work, 'none.png') }, top: 1 }),
      /none\.png/,
    );
    await assert.rejects(session.imageActivations({ dir, input: { kind: 'digit', index: 10_000_000 }, top: 1 }), /test digit/);
    await assert.rejects(session.imageModelInfo({ dir: path.join(work, 'nowhere') }), /not found: .*nowhere/);
  });

  test('imageMaximize makes a gallery of every filter, each raising its filter, with the settings echoed', async () => {
    const settings = { steps: 20, l2Decay: 0, jitter: 0, blurEvery: 0 };
    const progress: string[] = [];
    const r = await session.imageMaximize({ dir, layer: 'conv1', settings }, undefined, (p) => progress.push(p.message!));
    assert.deepEqual(
      r.units.map((u) => u.unit),
      [0, 1, 2],
    );
    assert.equal(r.images.length, FILTERS * 28 * 28);
    assert.deepEqual(r.shape, [28, 28, 1]);
    assert.equal(r.settings.steps, 20);
    assert.equal(r.settings.jitter, 0);
    assert.equal(r.cancelled, false);
    assert.deepEqual(progress, ['conv1 unit 0', 'conv1 unit 1', 'conv1 unit 2']);
    for (const u of r.units) assert.ok(u.finalValue > u.initialValue, `filter ${u.unit}: ${u.initialValue} → ${u.finalValue}`);
    await assert.rejects(session.imageMaximize({ dir, layer: 'conv9' }), /Unknown layer "conv9"/);
    await assert.rejects(session.imageMaximize({ dir, layer: 'conv1', units: [FILTERS] }), /conv1 unit/);
  });

  test('a cancelled gallery stops between units', async () => {
    const controller = new AbortController();
    // Cancelled while the second unit is under way: the first one is kept.
    const r = await session.imageMaximize({ dir, layer: 'dense1', settings: { steps: 5 } }, controller.signal, (p) => {
      if (p.message === 'dense1 unit 1') controller.abort();
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.units.length, 1);
    assert.equal(r.images.length, 28 * 28);
  });

  test('imageSaliency is input-sized and non-negative; imageFool reports the fooling image, the difference, steps and L∞', async () => {
    const s = await session.imageSaliency({ dir, input: digit });
    assert.equal(s.map.length, 28 * 28);
    assert.ok(s.map.every((v) => v >= 0));
    assert.ok(s.map.some((v) => v > 0));
    // An untrained model cannot be pushed to every class within the step budget: each result must
    // say truthfully whether it was fooled, and some target must be reached.
    let fooledTargets = 0;
    for (let target = 0; target < 10; target++) {
      if (target === s.predicted) continue;
      const f = await session.imageFool({ dir, input: digit, target, settings: { maxSteps: 60, learningRate: 0.01 } });
      assert.equal(f.originalClass, s.predicted);
      assert.equal(f.fooled, f.predicted === target);
      if (f.fooled) fooledTargets++;
      let linf = 0;
      for (let i = 0; i < f.image.length; i++) {
        assert.ok(Math.abs(f.image[i]! - f.input.pixels[i]! - f.difference[i]!) < 1e-5);
        linf = Math.max(linf, Math.abs(f.difference[i]!));
      }
      assert.ok(Math.abs(f.linf - linf) < 1e-6);
      assert.ok(f.steps <= 60 && f.linf <= f.steps * 0.01 + 1e-6, `L∞ ${f.linf} after ${f.steps} sign steps of 0.01`);
    }
    assert.ok(fooledTargets > 0);
    await assert.rejects(session.imageFool({ dir, input: digit, target: 10 }), /out of range/);
  });

  test('the panel sections made from the results are ones the page accepts, with the figures in their notes', async () => {
    const accepted = (section: VisionSection): VisionSection => {
      const m = parseToVision({ type: 'visionSection', section });
      assert.ok(m && m.type === 'visionSection', `section ${section.id} rejected by the page`);
      return m.section;
    };
    const a = await session.imageActivations({ dir, input: digit, top: 2 });
    const s = await session.imageSaliency({ dir, input: digit });
    const input = accepted(inputSection(a, s, CLASSES));
    assert.deepEqual(
      input.images.map((i) => [i.width, i.height, i.channels]),
      [
        [28, 28, 1],
        [28, 28, 1],
      ],
    );
    assert.match(input.title, new RegExp(`predicted ${CLASSES[a.predicted]}`));
    const conv = accepted(layerSection(a.layers[0]!));
    assert.equal(conv.images.length, FILTERS);
    assert.deepEqual(conv.images[1]!.pixels[5], a.layers[0]!.values[5 * FILTERS + 1]);
    const dense = accepted(layerSection(a.layers.find((l) => l.name === 'dense1')!));
    assert.deepEqual([dense.images[0]!.width, dense.images[0]!.height], [DENSE, 1]);
    const g = accepted(
      gallerySection(await session.imageMaximize({ dir, layer: 'conv1', units: [0, 2], settings: { steps: 2, jitter: 0 } })),
    );
    assert.deepEqual(
      g.images.map((i) => i.label.split(':')[0]),
      ['conv1 0', 'conv1 2'],
    );
    assert.match(g.note!, /L2 decay 0\.001 · jitter off · blur σ 0\.5 every 10 steps/);
    const f = await session.imageFool({ dir, input: digit, target: 0, settings: { maxSteps: 5 } });
    const fooling = accepted(foolingSection(f, CLASSES));
    assert.deepEqual(
      fooling.images.map((i) => i.label),
      ['test digit 3', 'fooling image', 'difference'],
    );
    assert.deepEqual(fooling.images[2]!.range, [-(f.linf || 1), f.linf || 1]);
    assert.match(fooling.note!, new RegExp(`L∞ = ${f.linf.toPrecision(3).replace('.', '\\.')}`));
  });

  test('imageInvert reconstructs the input from noise: the relative error falls, with the settings, steps and timing', async () => {
    const settings = { steps: 100, l2: 0, tv: 1e-3, learningRate: 0.05 };
    const progress: { message?: string; fraction?: number }[] = [];
    const r = await session.imageInvert({ dir, input: digit, layer: 'conv1', settings }, undefined, (p) => progress.push(p));
    assert.equal(r.layer, 'conv1');
    assert.ok(r.image instanceof Float32Array);
    assert.equal(r.image.length, 28 * 28);
    assert.deepEqual(r.input.shape, [28, 28, 1]);
    assert.ok(r.image.every((v) => v >= 0 && v <= 1));
    assert.ok(r.finalRelativeError < 0.7 * r.initialRelativeError, `${r.initialRelativeError} → ${r.finalRelativeError}`);
    assert.ok(Math.abs(r.distance - r.finalRelativeError * r.featureNorm) < 1e-6 * r.featureNorm);
    assert.ok(r.featureNorm > 0);
    assert.deepEqual(r.settings, { steps: 100, learningRate: 0.05, l2: 0, tv: 1e-3, range: [0, 1], noise: 0.1, seed: 1 });
    assert.equal(r.steps, 100);
    assert.equal(r.cancelled, false);
    assert.ok(r.elapsedMs > 0);
    // One report per two steps (50 at most), ending at the last step.
    assert.equal(progress.length, 50);
    assert.deepEqual(progress[0], { message: 'Inverting conv1: step 2 of 100', fraction: 2 / 100 });
    assert.deepEqual(progress.at(-1), { message: 'Inverting conv1: step 100 of 100', fraction: 1 });
    // Stepping in the worker makes the same image as the CLI's all-at-once inversion.
    const loaded = await loadImageModel(dir);
    try {
      const cli = invertFeatures(loaded.model, r.input.pixels, 'conv1', settings);
      assert.deepEqual(cli.image, r.image);
      assert.equal(cli.finalRelativeError, r.finalRelativeError);
    } finally {
      loaded.model.dispose();
    }
  });

  test('imageDream amplifies the layer from the input, with the settings echoed', async () => {
    const progress: string[] = [];
    const r = await session.imageDream({ dir, input: digit, layer: 'conv1', settings: { steps: 8, jitter: 0 } }, undefined, (p) =>
      progress.push(p.message!),
    );
    assert.equal(r.layer, 'conv1');
    assert.equal(r.image.length, 28 * 28);
    assert.ok(r.finalObjective > r.initialObjective, `${r.initialObjective} → ${r.finalObjective}`);
    assert.ok(r.image.some((v, i) => v !== r.input.pixels[i]));
    assert.deepEqual(r.settings, { steps: 8, learningRate: 0.02, jitter: 0, range: [0, 1], seed: 1 });
    assert.equal(r.steps, 8);
    assert.equal(r.cancelled, false);
    assert.equal(progress.length, 8);
    assert.equal(progress.at(-1), 'Dreaming at conv1: step 8 of 8');
    const loaded = await loadImageModel(dir);
    try {
      assert.deepEqual(deepDream(loaded.model, r.input.pixels, 'conv1', { steps: 8, jitter: 0 }).image, r.image);
    } finally {
      loaded.model.dispose();
    }
  });

  test('inversion and DeepDream name what is wrong with a request', async () => {
    await assert.rejects(session.imageInvert({ dir, input: digit, layer: 'conv9' }), /Unknown layer "conv9"/);
    await assert.rejects(session.imageDream({ dir, input: digit, layer: '' }), /layer must not be empty/);
    await assert.rejects(
      session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { lr: 0.1 } as never }),
      /Feature inversion has no setting "lr"; its settings are steps, learningRate, l2, tv, range, noise, seed/,
    );
    await assert.rejects(
      session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { steps: -1 } }),
      /Feature inversion steps must be an integer from 0 to 100000 \(got -1\)/,
    );
    await assert.rejects(
      session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { tv: Number.NaN } }),
      /Feature inversion tv must be a number ≥ 0 \(got NaN\)/,
    );
    await assert.rejects(
      session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { range: [1, 0] } }),
      /Feature inversion range must be two numbers \[low, high\] with low < high/,
    );
    await assert.rejects(
      session.imageDream({ dir, input: digit, layer: 'conv1', settings: { jitter: 65 } }),
      /DeepDream jitter must be an integer from 0 to 64 \(got 65\)/,
    );
    await assert.rejects(
      session.imageDream({ dir, input: digit, layer: 'conv1', settings: 3 as never }),
      /DeepDream settings must be an object/,
    );
    await assert.rejects(session.imageDream({ dir, input: { kind: 'digit', index: -1 }, layer: 'conv1' }), /test digit must be an integer/);
  });

  test('a cancelled inversion or dream stops between steps and returns the image so far', async () => {
    const controller = new AbortController();
    const r = await session.imageInvert({ dir, input: digit, layer: 'pool1', settings: { steps: 100 } }, controller.signal, (p) => {
      if (p.fraction! >= 0.3) controller.abort();
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.steps, 30);
    assert.equal(r.settings.steps, 100);
    assert.equal(r.image.length, 28 * 28);
    assert.ok(r.finalRelativeError < r.initialRelativeError);
    const stopped = new AbortController();
    stopped.abort();
    const d = await session.imageDream({ dir, input: digit, layer: 'dense1' }, stopped.signal);
    assert.equal(d.cancelled, true);
    assert.equal(d.steps, 0);
    assert.deepEqual(d.image, d.input.pixels);
  });

  test('the inversion and DeepDream rows show original | result on the data range, with the figures in their notes', async () => {
    const accepted = (section: VisionSection): VisionSection => {
      const m = parseToVision({ type: 'visionSection', section });
      assert.ok(m && m.type === 'visionSection', `section ${section.id} rejected by the page`);
      return m.section;
    };
    const r = await session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { steps: 10, l2: 0 } });
    const inversion = accepted(inversionSection(r));
    assert.equal(inversion.id, 'inversion');
    assert.equal(inversion.title, 'Feature inversion of conv1');
    assert.deepEqual(
      inversion.images.map((i) => [i.label, i.width, i.height, i.range]),
      [
        ['test digit 3', 28, 28, [0, 1]],
        ['reconstruction from conv1', 28, 28, [0, 1]],
      ],
    );
    assert.deepEqual(inversion.images[1]!.pixels, r.image);
    const figures = `relative error ${r.initialRelativeError.toPrecision(3)} (noise) → ${r.finalRelativeError.toPrecision(3)}`;
    assert.ok(inversion.note!.startsWith(figures), inversion.note);
    assert.match(inversion.note!, /· 10 Adam steps, learning rate 0\.05 · L2 off · TV 0\.001 · noise 0\.1, seed 1 · \d+ (ms|\.\d s)$/);
    assert.match(inversion.note!, new RegExp(`‖φ\\(x₀\\)‖ = ${r.featureNorm.toPrecision(3).replace('.', '\\.')}`));

    const d = await session.imageDream({ dir, input: digit, layer: 'dense1', settings: { steps: 3 } });
    const dream = accepted(dreamSection(d));
    assert.equal(dream.title, 'DeepDream at dense1');
    assert.deepEqual(
      dream.images.map((i) => i.label),
      ['test digit 3', 'dream at dense1'],
    );
    assert.match(dream.note!, /^½‖dense1‖² \S+ → \S+ · 3 steps of 0\.02 · jitter 1 px · seed 1 · /);
    const cancelled = accepted(inversionSection({ ...r, cancelled: true, steps: 4 }));
    assert.equal(cancelled.title, 'Feature inversion of conv1 (cancelled after 4 of 10 steps)');
  });

  test('repeated requests leave no tensors behind (the loaded model stays cached)', async () => {
    await session.imageActivations({ dir, input: digit, top: 1 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await session.imageActivations({ dir, input: digit, top: 3 });
      await session.imageSaliency({ dir, input: digit });
      await session.imageMaximize({ dir, layer: 'logits', units: [1], settings: { steps: 3 } });
      await session.imageFool({ dir, input: digit, target: 0, settings: { maxSteps: 3 } });
      await session.imageInvert({ dir, input: digit, layer: 'pool1', settings: { steps: 3 } });
      await session.imageDream({ dir, input: digit, layer: 'conv1', settings: { steps: 3 } });
      const controller = new AbortController();
      await session.imageInvert({ dir, input: digit, layer: 'dense1', settings: { steps: 10 } }, controller.signal, () =>
        controller.abort(),
      );
      await assert.rejects(session.imageInvert({ dir, input: digit, layer: 'conv1', settings: { seed: -1 } }), /seed/);
    }
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('image requests through the engine worker', () => {
  const client = new EngineClient(path.resolve(__dirname, '../../dist/worker.js'), () => 'wasm');
  after(() => client.dispose());

  test('activations cross as Float32Arrays, and a cancel reaches a running gallery between units', async () => {
    assert.ok(fs.existsSync(path.resolve(__dirname, '../../dist/worker.js')), 'dist/worker.js is missing: run npm run build');
    const r = await client.request('imageActivations', { dir, input: digit, top: 1 });
    assert.ok(r.probabilities instanceof Float32Array);
    assert.ok(r.layers.every((l) => l.values instanceof Float32Array));
    assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);

    const controller = new AbortController();
    const progress: string[] = [];
    const gallery = await client.request(
      'imageMaximize',
      { dir, layer: 'dense1', settings: { steps: 100 } },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p.message!);
          if (p.message === 'dense1 unit 1') controller.abort();
        },
      },
    );
    // One unit's ascent is synchronous in the worker, so the cancel sent while unit 1 runs is seen
    // when it ends: the gallery keeps units 0 and 1 and never starts unit 2.
    assert.equal(gallery.cancelled, true);
    assert.deepEqual(
      gallery.units.map((u) => u.unit),
      [0, 1],
    );
    assert.ok(gallery.images instanceof Float32Array);
    assert.equal(gallery.images.length, 2 * 28 * 28);
    assert.deepEqual(progress, ['dense1 unit 0', 'dense1 unit 1']);
  });

  test('an inversion reports progress across the thread, and a cancel stops it within a step', async () => {
    const controller = new AbortController();
    const fractions: number[] = [];
    const r = await client.request(
      'imageInvert',
      { dir, input: digit, layer: 'conv1', settings: { steps: 5_000 } },
      {
        signal: controller.signal,
        onProgress: (p) => {
          fractions.push(p.fraction!);
          if (fractions.length === 3) controller.abort();
        },
      },
    );
    // The worker yields after every step, so the cancel sent at the third report (step 300) is
    // seen a few steps later, far from the 5,000 asked for.
    assert.equal(r.cancelled, true);
    assert.ok(r.steps >= 300 && r.steps < 400, `stopped after ${r.steps} steps`);
    assert.ok(r.image instanceof Float32Array);
    assert.equal(r.image.length, 28 * 28);
    assert.deepEqual(fractions.slice(0, 3), [0.02, 0.04, 0.06]);
    const d = await client.request('imageDream', { dir, input: digit, layer: 'conv1', settings: { steps: 2 } });
    assert.equal(d.steps, 2);
    assert.ok(d.image instanceof Float32Array);
  });
});
