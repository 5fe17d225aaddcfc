import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { maximizeActivation } from '../../src/engine/vision/activationMaximization';
import { deepDream } from '../../src/engine/vision/deepDream';
import { invertFeatures } from '../../src/engine/vision/featureInversion';
import { foolingImage } from '../../src/engine/vision/foolingImage';
import { makeImageArchitecture, imageWeightSpecs, type ImageClassifierArchitecture } from '../../src/engine/vision/imageArchitecture';
import { ImageClassifier } from '../../src/engine/vision/imageClassifier';
import { exampleImage, splitByClass, subset } from '../../src/engine/vision/imageDataset';
import { resizeArea } from '../../src/engine/vision/imageDecode';
import { trainImageClassifier } from '../../src/engine/vision/imageTrainer';
import { imageActivations, mostActiveUnits } from '../../src/engine/vision/layerActivations';
import { loadMnistDigits } from '../../src/engine/vision/mnistDigits';
import { saliencyMap } from '../../src/engine/vision/saliencyMap';

/** A model with chosen weights; the rest zero. */
function handSet(architecture: ImageClassifierArchitecture, set: Record<string, (i: number) => number>): ImageClassifier {
  const weights = new Map<string, tf.Tensor>();
  for (const spec of imageWeightSpecs(architecture)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const f = set[spec.name];
    weights.set(
      spec.name,
      tf.tensor(
        Float32Array.from({ length: n }, (_, i) => (f ? f(i) : 0)),
        spec.shape,
      ),
    );
  }
  try {
    return new ImageClassifier(architecture, weights);
  } finally {
    tf.dispose([...weights.values()]);
  }
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const argmax = (xs: ArrayLike<number>): number => Array.from(xs).indexOf(Math.max(...Array.from(xs)));

let trained: ImageClassifier;
let test28: ReturnType<typeof splitByClass>['test'];

before(async () => {
  await initBackend('wasm');
  // A small MLP trained on 1,500 digits for two epochs: enough to be a real classifier (~85%).
  const { train, test } = splitByClass(loadMnistDigits(), 0.2);
  test28 = test;
  const trainSubset = subset(
    train,
    Array.from({ length: 1500 }, (_, i) => i * 5),
  );
  trained = ImageClassifier.initialize(
    makeImageArchitecture({ kind: 'mlp', height: 28, width: 28, channels: 1, numClasses: 10, dense: [32] }),
    3,
  );
  const r = await trainImageClassifier(
    trained,
    {
      train: trainSubset,
      test: subset(
        test,
        Array.from({ length: 200 }, (_, i) => i * 10),
      ),
    },
    { epochs: 2, batch: 32, learningRate: 3e-3, seed: 2 },
  );
  assert.ok(r.test.accuracy > 0.75, `fixture accuracy ${r.test.accuracy}`);
});

describe('class visualisation', () => {
  test('raises the target logit above every other logit, from noise', () => {
    for (const c of [0, 3, 7]) {
      const r = maximizeActivation(trained, { layer: 'logits', unit: c }, { steps: 60, seed: c });
      assert.equal(argmax(r.logits), c, `logits ${r.logits.map((v) => v.toFixed(2)).join(' ')}`);
      assert.ok(r.finalValue > r.initialValue, `${r.initialValue} → ${r.finalValue}`);
      assert.equal(r.finalValue, r.logits[c]);
      assert.ok(
        r.image.every((v) => v >= 0 && v <= 1),
        'pixels stay in the data range',
      );
      assert.deepEqual(r.settings.range, [0, 1]);
      assert.equal(r.settings.steps, 60);
    }
  });

  test('every regulariser switched off, and multi-scale, still raise the target; settings are reported', () => {
    const plain = maximizeActivation(trained, { layer: 'logits', unit: 5 }, { steps: 40, l2Decay: 0, jitter: 0, blurEvery: 0, octaves: 1 });
    assert.equal(argmax(plain.logits), 5);
    assert.equal(plain.settings.jitter, 0);
    const multi = maximizeActivation(trained, { layer: 'logits', unit: 5 }, { steps: 20, octaves: 3 });
    assert.equal(argmax(multi.logits), 5);
    assert.equal(multi.history[multi.history.length - 1]!.step, 60, 'steps per octave × octaves');
    assert.deepEqual(multi.shape, [28, 28, 1]);
  });

  test('a dense neuron is driven up too', () => {
    const r = maximizeActivation(trained, { layer: 'dense1', unit: 4 }, { steps: 40 });
    assert.ok(r.finalValue > r.initialValue + 1, `${r.initialValue} → ${r.finalValue}`);
  });

  test('bad targets name the layer and the range', () => {
    assert.throws(() => maximizeActivation(trained, { layer: 'conv1', unit: 0 }), /Unknown layer "conv1" \(layers: dense1, logits\)/);
    assert.throws(
      () => maximizeActivation(trained, { layer: 'logits', unit: 10 }),
      (e: unknown) => e instanceof NeuronLensError && /has 10 units; 10 is out of range/.test(e.message),
    );
  });
});

describe('filter maximisation', () => {
  test('a hand-set vertical edge filter yields its edge pattern at the centre', () => {
    const edge = [-1, 0, 1, -1, 0, 1, -1, 0, 1];
    const arch = makeImageArchitecture({
      kind: 'convnet',
      height: 9,
      width: 9,
      channels: 1,
      numClasses: 2,
      convBlocks: [{ filters: 1, kernel: 3 }],
      dense: [],
    });
    const model = handSet(arch, { 'conv1/kernel': (i) => edge[i]! });
    for (const settings of [{ jitter: 0, blurEvery: 0 }, {}]) {
      const r = maximizeActivation(model, { layer: 'conv1', unit: 0, spatial: 'centre' }, { steps: 100, seed: 4, ...settings });
      const patch = [3, 4, 5].flatMap((y) => [3, 4, 5].map((x) => r.image[y * 9 + x]!));
      const rho = correlation(patch, edge);
      assert.ok(rho > 0.9, `correlation ${rho.toFixed(3)} with ${JSON.stringify(settings)}`);
      assert.ok(r.finalValue > 2.5, `edge response ${r.finalValue}`);
    }
    // The same pattern, read off a horizontal filter, is not what comes out.
    const horizontal = [-1, -1, -1, 0, 0, 0, 1, 1, 1];
    const h = handSet(arch, { 'conv1/kernel': (i) => horizontal[i]! });
    const r = maximizeActivation(h, { layer: 'conv1', unit: 0 }, { steps: 100, jitter: 0, blurEvery: 0 });
    const patch = [3, 4, 5].flatMap((y) => [3, 4, 5].map((x) => r.image[y * 9 + x]!));
    assert.ok(correlation(patch, edge) < 0.2);
    assert.ok(correlation(patch, horizontal) > 0.9);
    model.dispose();
    h.dispose();
  });
});

describe('saliency', () => {
  test('is exactly zero on pixels the model cannot see, and positive where it looks', () => {
    // A 6×6 MLP whose first layer ignores the left three columns.
    const arch = makeImageArchitecture({ kind: 'mlp', height: 6, width: 6, channels: 1, numClasses: 3, dense: [4] });
    const model = handSet(arch, {
      'dense1/kernel': (i) => (Math.floor(i / 4) % 6 < 3 ? 0 : Math.sin(i + 1)),
      'dense1/bias': () => 0.1,
      'logits/kernel': (i) => Math.cos(i),
    });
    const image = Float32Array.from({ length: 36 }, (_, i) => ((i * 7) % 10) / 10);
    const r = saliencyMap(model, image, 1);
    assert.deepEqual(r.shape, [6, 6]);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 3; x++) assert.equal(r.map[y * 6 + x], 0, `pixel ${y},${x}`);
    assert.ok(Array.from(r.map).filter((v, i) => i % 6 >= 3 && v > 0).length >= 9);
    assert.equal(r.classIndex, 1);
    model.dispose();
  });

  test('is the max over channels of |gradient| (RGB)', () => {
    const arch = makeImageArchitecture({ kind: 'mlp', height: 2, width: 2, channels: 3, numClasses: 2, dense: [1] });
    // The hidden unit is 1·R − 3·G + 2·B of pixel 0 only; logit 0 copies it.
    const w = [1, -3, 2];
    const model = handSet(arch, { 'dense1/kernel': (i) => w[i] ?? 0, 'dense1/bias': () => 10, 'logits/kernel': (i) => (i === 0 ? 1 : 0) });
    const r = saliencyMap(model, new Float32Array(12).fill(0.5), 0);
    assert.deepEqual(Array.from(r.map), [3, 0, 0, 0]);
    model.dispose();
  });

  test('on a trained model, defaults to the predicted class', () => {
    const image = exampleImage(test28, 0);
    const r = saliencyMap(trained, image);
    assert.equal(r.classIndex, r.predicted);
    assert.ok(r.map.some((v) => v > 0));
    assert.throws(() => saliencyMap(trained, image, 12), /Class 12 is out of range \(the model has 10 classes\)/);
    assert.throws(() => saliencyMap(trained, new Float32Array(10)), /The image has 10 values; the model takes 28×28×1/);
  });
});

describe('fooling images', () => {
  test('are classified as the target while staying close to the original (L∞ reported)', () => {
    const linfs: number[] = [];
    for (const index of [0, 500, 1000]) {
      const image = exampleImage(test28, index);
      const r = foolingImage(trained, image, (test28.labels[index]! + 3) % 10);
      assert.ok(r.fooled, `digit ${index}: not fooled after ${r.steps} steps`);
      assert.equal(r.predicted, r.targetClass);
      assert.ok(r.steps >= 1 && r.steps < 200);
      assert.ok(r.linf <= r.steps * 0.01 + 1e-6, `L∞ ${r.linf} after ${r.steps} sign steps`);
      const check = tf.tidy(() => tf.argMax(trained.run(tf.tensor4d(r.image, [1, 28, 28, 1])).logits, 1).dataSync()[0]);
      assert.equal(check, r.targetClass, 'the returned image really is classified as the target');
      const linf = Math.max(...Array.from(r.difference, Math.abs));
      assert.ok(Math.abs(linf - r.linf) < 1e-6);
      r.image.forEach((v, i) => assert.ok(Math.abs(v - image[i]! - r.difference[i]!) < 1e-6));
      linfs.push(r.linf);
    }
    // Sign steps of 0.01: the L∞ distance is the step count × 0.01 at most.
    console.log(`fooling L∞ distances: ${linfs.map((v) => v.toFixed(3)).join(', ')}`);
    assert.ok(Math.max(...linfs) < 0.25, `L∞ ${linfs.join(', ')}`);
  });

  test("cs231n's L2-normalised steps fool it too", () => {
    const r = foolingImage(trained, exampleImage(test28, 0), (test28.labels[0]! + 3) % 10, { step: 'l2', learningRate: 0.1 });
    assert.ok(r.fooled);
    assert.equal(r.settings.step, 'l2');
  });

  test('an image already of the target class takes no step', () => {
    const image = exampleImage(test28, 0);
    const predicted = saliencyMap(trained, image).predicted;
    const r = foolingImage(trained, image, predicted);
    assert.equal(r.steps, 0);
    assert.equal(r.linf, 0);
    assert.ok(r.fooled);
  });
});

describe('feature inversion and DeepDream', () => {
  test('inverting a conv layer reconstructs the digit from noise', () => {
    // A digit at 14×14 keeps the test fast; a random 8-filter conv layer keeps enough information.
    const arch = makeImageArchitecture({
      kind: 'convnet',
      height: 14,
      width: 14,
      channels: 1,
      numClasses: 10,
      convBlocks: [{ filters: 8, kernel: 3 }],
      dense: [],
    });
    const model = ImageClassifier.initialize(arch, 5);
    const image = resizeArea(exampleImage(test28, 3), 28, 28, 1, 14, 14);
    const r = invertFeatures(model, image, 'conv1', { steps: 150 });
    assert.ok(r.finalRelativeError < 0.25 * r.initialRelativeError, `${r.initialRelativeError} → ${r.finalRelativeError}`);
    const rho = correlation(r.image, image);
    assert.ok(rho > 0.8, `correlation with the original ${rho}`);
    model.dispose();
  });

  test('a DeepDream step amplifies what the layer sees', () => {
    const image = exampleImage(test28, 1);
    const r = deepDream(trained, image, 'dense1', { steps: 5 });
    assert.ok(r.finalObjective > 1.2 * r.initialObjective, `${r.initialObjective} → ${r.finalObjective}`);
    assert.ok(r.image.some((v, i) => v !== image[i]));
  });
});

describe('activations and most active units', () => {
  test('every layer is observable with its shape; filters rank by mean activation', () => {
    const arch = makeImageArchitecture({
      kind: 'convnet',
      height: 8,
      width: 8,
      channels: 1,
      numClasses: 3,
      convBlocks: [{ filters: 3, kernel: 3 }],
      dense: [5],
    });
    // Kernel index = position·3 + filter; only the centre tap is set: filter f computes (f/2)·pixel.
    const model = handSet(arch, { 'conv1/kernel': (i) => (i >= 12 && i < 15 ? (i % 3) / 2 : 0) });
    const a = imageActivations(model, new Float32Array(64).fill(1));
    assert.deepEqual(
      a.layers.map((l) => [l.name, l.shape]),
      [
        ['conv1', [8, 8, 3]],
        ['pool1', [4, 4, 3]],
        ['dense1', [5]],
        ['logits', [3]],
      ],
    );
    const top = mostActiveUnits(a.layers[0]!, 2);
    assert.deepEqual(
      top.map((u) => u.unit),
      [2, 1],
    );
    assert.equal(top[0]!.max, 1);
    assert.ok(Math.abs(a.probabilities.reduce((x, y) => x + y, 0) - 1) < 1e-5);
    model.dispose();
  });
});

describe('no tensor leaks', () => {
  test('every analysis leaves the tensor count unchanged', () => {
    const image = exampleImage(test28, 2);
    const conv = ImageClassifier.initialize(
      makeImageArchitecture({
        kind: 'convnet',
        height: 28,
        width: 28,
        channels: 1,
        numClasses: 10,
        convBlocks: [{ filters: 4, kernel: 3 }],
        dense: [8],
      }),
      1,
    );
    const runs = (): void => {
      maximizeActivation(trained, { layer: 'logits', unit: 2 }, { steps: 5, octaves: 2 });
      maximizeActivation(conv, { layer: 'pool1', unit: 1, spatial: 'mean' }, { steps: 5 });
      saliencyMap(conv, image);
      foolingImage(trained, image, 4, { maxSteps: 3 });
      invertFeatures(conv, image, 'pool1', { steps: 3 });
      deepDream(conv, image, 'conv1', { steps: 2 });
      imageActivations(conv, image);
    };
    runs();
    const before = tf.memory().numTensors;
    runs();
    runs();
    assert.equal(tf.memory().numTensors, before);
    conv.dispose();
  });
});
