import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { conv2dSame } from '../../src/engine/vision/convolution';
import { makeImageArchitecture, imageLayers, imageWeightSpecs, validateImageArchitecture } from '../../src/engine/vision/imageArchitecture';
import { ImageClassifier } from '../../src/engine/vision/imageClassifier';
import { type ImageDataset, splitByClass, subset } from '../../src/engine/vision/imageDataset';
import { loadImageModel, readImageModelInfo, saveImageModel } from '../../src/engine/vision/imageModelFolder';
import { evaluateImageClassifier, scheduledLearningRate, trainImageClassifier } from '../../src/engine/vision/imageTrainer';
import { withDefaults } from '../../src/engine/vision/withDefaults';
import { loadMnistDigits } from '../../src/engine/vision/mnistDigits';
import { MODEL_FILE } from '../../src/engine/modelFolder';
import { tempDir } from './helpers';

before(async () => {
  await initBackend('wasm');
});

/** Two classes a tiny model separates at once: a bright left half or a bright right half. */
function halves(count: number, seed = 1): ImageDataset {
  const images = new Float32Array(count * 36);
  const labels = new Int32Array(count);
  let s = seed;
  const noise = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.3;
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 36; p++) images[i * 36 + p] = (p % 6 < 3 === (i % 2 === 0) ? 0.7 : 0) + noise();
  }
  return { images, labels, count, height: 6, width: 6, channels: 1, classes: ['left', 'right'], source: 'halves' };
}

const tinyConv = () =>
  makeImageArchitecture({
    kind: 'convnet',
    height: 6,
    width: 6,
    channels: 1,
    numClasses: 2,
    convBlocks: [{ filters: 2, kernel: 3 }],
    dense: [4],
  });

describe('architecture', () => {
  test('layers and weight shapes follow the blocks (pooling rounds up)', () => {
    const a = makeImageArchitecture({ kind: 'convnet', height: 28, width: 28, channels: 1, numClasses: 10 });
    assert.deepEqual(
      imageLayers(a).map((l) => `${l.name}:${l.shape.join('x')}`),
      ['conv1:28x28x16', 'pool1:14x14x16', 'conv2:14x14x32', 'pool2:7x7x32', 'dense1:128', 'logits:10'],
    );
    assert.deepEqual(imageWeightSpecs(a).find((s) => s.name === 'dense1/kernel')!.shape, [7 * 7 * 32, 128]);
    const odd = makeImageArchitecture({
      kind: 'convnet',
      height: 5,
      width: 7,
      channels: 3,
      numClasses: 2,
      convBlocks: [{ filters: 2, kernel: 3 }],
      dense: [],
    });
    assert.deepEqual(imageWeightSpecs(odd).find((s) => s.name === 'logits/kernel')!.shape, [3 * 4 * 2, 2]);
  });

  test('bad architectures get a message naming the field', () => {
    const good = makeImageArchitecture({ kind: 'mlp', height: 4, width: 4, channels: 1, numClasses: 2 });
    const cases: [unknown, RegExp][] = [
      [{ ...good, channels: 2 }, /channels 2 must be 1 or 3/],
      [{ ...good, numClasses: 1 }, /numClasses 1 must be 2\.\./],
      [{ ...good, kind: 'rnn' }, /kind "rnn" is not one of mlp, convnet/],
      [{ ...good, dense: [0] }, /dense layer 1 must have 1\.\.8192 units/],
      [{ ...good, kind: 'convnet' }, /a ConvNet needs at least one conv block/],
      [{ ...good, height: 1e9 }, /height 1000000000 must be 1\.\.512/],
    ];
    for (const [a, message] of cases)
      assert.throws(
        () => validateImageArchitecture(a),
        (e: unknown) => e instanceof NeuronLensError && message.test(e.message),
      );
  });
});

describe('convolution gradients on wasm', () => {
  test('match finite differences for the kernel and the input (odd and even kernels)', () => {
    for (const k of [3, 4]) {
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 5 * 4 * 2 }, (_, i) => Math.sin(i * 1.3)),
        [2, 5, 4, 2],
      );
      const w = tf.tensor4d(
        Float32Array.from({ length: k * k * 2 * 3 }, (_, i) => Math.cos(i * 0.7)),
        [k, k, 2, 3],
      );
      const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.square(conv2dSame(a as tf.Tensor4D, b as tf.Tensor4D)));
      const [dx, dw] = tf.grads(loss)([x, w]);
      const numeric = (t: tf.Tensor, i: number, other: tf.Tensor, first: boolean): number => {
        const eps = 1e-2;
        const v = t.dataSync().slice();
        v[i]! += eps;
        const plus = tf.tensor(v, t.shape);
        v[i]! -= 2 * eps;
        const minus = tf.tensor(v, t.shape);
        const f = (p: tf.Tensor): number => (first ? loss(p, other) : loss(other, p)).dataSync()[0]!;
        const r = (f(plus) - f(minus)) / (2 * eps);
        tf.dispose([plus, minus]);
        return r;
      };
      for (const i of [0, 7, 19, 33]) {
        const n = numeric(x, i, w, true);
        assert.ok(Math.abs(n - dx!.dataSync()[i]!) < 0.02 * Math.max(1, Math.abs(n)), `k=${k} dx[${i}] ${dx!.dataSync()[i]} vs ${n}`);
      }
      for (const i of [0, 5, 17, k * k * 6 - 1]) {
        const n = numeric(w, i, x, false);
        assert.ok(Math.abs(n - dw!.dataSync()[i]!) < 0.02 * Math.max(1, Math.abs(n)), `k=${k} dw[${i}] ${dw!.dataSync()[i]} vs ${n}`);
      }
      tf.dispose([x, w, dx!, dw!]);
    }
  });
});

describe('training', () => {
  test('a ConvNet and an MLP learn a separable task; confusion matrix matches the accuracy', async () => {
    const data = splitByClass(halves(200), 0.25);
    for (const kind of ['convnet', 'mlp'] as const) {
      const a =
        kind === 'convnet' ? tinyConv() : makeImageArchitecture({ kind, height: 6, width: 6, channels: 1, numClasses: 2, dense: [8] });
      const model = ImageClassifier.initialize(a, 2);
      const epochs: number[] = [];
      const r = await trainImageClassifier(model, data, {
        epochs: 3,
        batch: 16,
        learningRate: 2e-2,
        onProgress: (p) => p.testAccuracy !== undefined && epochs.push(p.epoch),
      });
      assert.deepEqual(epochs, [1, 2, 3]);
      assert.ok(r.test.accuracy >= 0.95, `${kind} accuracy ${r.test.accuracy}`);
      assert.equal(r.test.count, 50);
      assert.equal(
        r.test.confusion.flat().reduce((x, y) => x + y, 0),
        50,
      );
      assert.equal((r.test.confusion[0]![0]! + r.test.confusion[1]![1]!) / 50, r.test.accuracy);
      assert.deepEqual(
        r.test.confusion.map((row) => row.reduce((x, y) => x + y, 0)),
        [25, 25],
        'rows are the true classes',
      );
      assert.equal(r.history.length, 3);
      model.dispose();
    }
  });

  test('the same seed gives the same run; tensors do not leak', async () => {
    const data = splitByClass(halves(64), 0.25);
    const losses: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const model = ImageClassifier.initialize(tinyConv(), 7);
      const before = tf.memory().numTensors;
      const r = await trainImageClassifier(model, data, { epochs: 2, batch: 8, seed: 3, shift: 1 });
      assert.equal(tf.memory().numTensors, before);
      losses.push(r.history.map((h) => h.trainLoss));
      model.dispose();
    }
    assert.deepEqual(losses[0], losses[1]);
  });

  test('cancellation stops between steps and keeps the weights reached', async () => {
    const model = ImageClassifier.initialize(tinyConv(), 1);
    const controller = new AbortController();
    const r = await trainImageClassifier(model, splitByClass(halves(200), 0.25), {
      epochs: 50,
      batch: 8,
      signal: controller.signal,
      onProgress: (p) => p.step === 3 && controller.abort(),
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.steps, 3);
    assert.equal(r.test.count, 50);
    model.dispose();
  });

  test('a non-finite loss stops training with a clear message', async () => {
    const a = tinyConv();
    const weights = new Map(imageWeightSpecs(a).map((s) => [s.name, tf.fill(s.shape, s.name === 'logits/bias' ? Number.NaN : 0.1)]));
    const model = new ImageClassifier(a, weights);
    tf.dispose([...weights.values()]);
    await assert.rejects(
      trainImageClassifier(model, splitByClass(halves(40), 0.25), { epochs: 1 }),
      (e: unknown) =>
        e instanceof NeuronLensError && e.code === 'diverged' && /diverged at epoch 1, step 1: the loss became NaN/.test(e.message),
    );
    model.dispose();
  });

  test('mismatched data is refused', async () => {
    const model = ImageClassifier.initialize(makeImageArchitecture({ kind: 'mlp', height: 28, width: 28, channels: 1, numClasses: 2 }), 1);
    await assert.rejects(trainImageClassifier(model, splitByClass(halves(20), 0.25)), /The images are 6×6×1, the model takes 28×28×1/);
    model.dispose();
  });
});

describe('MNIST digits', () => {
  test('the package holds 10,000 28×28 digits; the split is stratified and deterministic', () => {
    const all = loadMnistDigits();
    assert.equal(all.count, 10_000);
    assert.equal(all.images.length, 10_000 * 784);
    assert.ok(all.images.every((v) => v >= 0 && v <= 1));
    const { train, test } = splitByClass(all, 0.2);
    assert.equal(train.count + test.count, 10_000);
    for (let d = 0; d < 10; d++) {
      const nTrain = train.labels.filter((l) => l === d).length;
      const nTest = test.labels.filter((l) => l === d).length;
      assert.ok(Math.abs(nTest / (nTrain + nTest) - 0.2) < 0.01, `digit ${d}: ${nTrain}/${nTest}`);
    }
    assert.deepEqual(splitByClass(all, 0.2).test.images.subarray(0, 784 * 3), test.images.subarray(0, 784 * 3));
  });
});

/** The parts of model.json the corruption cases edit. */
interface ModelJson {
  task?: string;
  modelTopology: { architecture: { channels: number } };
  weightsManifest: { paths: string[]; weights: { shape: number[]; dtype: string }[] }[];
  userDefinedMetadata: { classes: string[] };
}

describe('model folder', () => {
  async function savedModel(): Promise<{ dir: string; model: ImageClassifier }> {
    const dir = tempDir();
    const model = ImageClassifier.initialize(tinyConv(), 4);
    await saveImageModel(dir, { model, classes: ['left', 'right'] });
    return { dir, model };
  }

  test('save and load round-trip the weights, classes and predictions', async () => {
    const { dir, model } = await savedModel();
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
    assert.equal(json.task, 'image-classifier');
    assert.equal(json.format, 'neuron-lens-model');
    assert.equal(json.weightsManifest[0].weights.length, imageWeightSpecs(tinyConv()).length);
    const loaded = await loadImageModel(dir);
    assert.deepEqual(loaded.classes, ['left', 'right']);
    const x = tf.tensor4d(halves(4).images, [4, 6, 6, 1]);
    const [a, b] = tf.tidy(() => [model.run(x).logits.arraySync(), loaded.model.run(x).logits.arraySync()]);
    assert.deepEqual(a, b);
    const evaluation = await evaluateImageClassifier(loaded.model, halves(10));
    assert.equal(evaluation.count, 10);
    // Saving again replaces the weights file; no stale files remain.
    await saveImageModel(dir, loaded);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).length, 1);
    tf.dispose(x);
    model.dispose();
    loaded.model.dispose();
  });

  test('corrupt folders get one clear message naming the folder and the problem', async () => {
    const { dir, model } = await savedModel();
    model.dispose();
    const jsonPath = path.join(dir, MODEL_FILE);
    const original = fs.readFileSync(jsonPath, 'utf8');
    const bin = fs.readdirSync(dir).find((f) => f.endsWith('.bin'))!;
    const binBytes = fs.readFileSync(path.join(dir, bin));
    const edit = (f: (j: ModelJson) => void): void => {
      const j = JSON.parse(original) as ModelJson;
      f(j);
      fs.writeFileSync(jsonPath, JSON.stringify(j));
    };
    const cases: [() => void, RegExp][] = [
      [() => fs.writeFileSync(jsonPath, '{"format": '), /model\.json is not valid JSON/],
      [() => edit((j) => delete j.task), /it holds a "language-model" model, not an image classifier/],
      [() => edit((j) => (j.modelTopology.architecture.channels = 4)), /architecture: channels 4 must be 1 or 3/],
      [() => edit((j) => (j.userDefinedMetadata.classes = ['a'])), /1 class names for a model with 2 classes/],
      [() => edit((j) => (j.weightsManifest[0]!.paths = ['../../etc/passwd'])), /unsafe path "\.\.\/\.\.\/etc\/passwd"/],
      [
        () => edit((j) => (j.weightsManifest[0]!.weights[0]!.shape = [3, 3, 1, 5])),
        /weight conv1\/kernel has shape \[3, 3, 1, 5\], the architecture needs \[3, 3, 1, 2\]/,
      ],
      [() => edit((j) => (j.weightsManifest[0]!.weights[1]!.dtype = 'int32')), /weight conv1\/bias has unsupported dtype "int32"/],
      [
        () => fs.writeFileSync(path.join(dir, bin), binBytes.subarray(0, 20)),
        /weights file weights-[0-9a-f]+\.bin has 20 bytes, expected \d+ \(truncated\)/,
      ],
      [
        () => {
          const nan = Buffer.from(binBytes);
          nan.writeFloatLE(Number.NaN, 8);
          fs.writeFileSync(path.join(dir, bin), nan);
        },
        /the weights contain NaN or infinite values/,
      ],
      [() => fs.rmSync(path.join(dir, bin)), /weights file weights-[0-9a-f]+\.bin is missing/],
      [() => fs.rmSync(jsonPath), /the model file model\.json is missing/],
    ];
    for (const [corrupt, message] of cases) {
      fs.writeFileSync(jsonPath, original);
      fs.writeFileSync(path.join(dir, bin), binBytes);
      corrupt();
      const before = tf.memory().numTensors;
      await assert.rejects(loadImageModel(dir), (e: unknown) => {
        assert.ok(e instanceof NeuronLensError, String(e));
        assert.match(e.message, new RegExp(`^Invalid image model folder ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
        assert.match(e.message, message);
        return true;
      });
      assert.equal(tf.memory().numTensors, before, `no tensors left behind for ${message}`);
    }
    await assert.rejects(loadImageModel(path.join(dir, 'nope')), /Model folder not found/);
  });

  test('a language model folder is told apart from an image model', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, MODEL_FILE),
      JSON.stringify({ format: 'neuron-lens-model', modelTopology: { formatVersion: 1, architecture: { task: 'language-model' } } }),
    );
    assert.throws(() => readImageModelInfo(dir), /holds a "language-model" model, not an image classifier/);
  });
});

describe('options', () => {
  test('the cosine schedule falls from the learning rate to zero; constant stays', () => {
    const cosine = { learningRate: 0.01, schedule: 'cosine' as const };
    assert.equal(scheduledLearningRate(cosine, 0, 100), 0.01);
    assert.ok(Math.abs(scheduledLearningRate(cosine, 50, 100) - 0.005) < 1e-12);
    assert.ok(scheduledLearningRate(cosine, 99, 100) < 0.01 * 0.001);
    assert.equal(scheduledLearningRate({ learningRate: 0.01, schedule: 'constant' }, 99, 100), 0.01);
  });

  test('an option given as undefined keeps its default', () => {
    assert.deepEqual(withDefaults({ steps: 200, lr: 0.1 }, { steps: undefined, lr: 0.5 }), { steps: 200, lr: 0.5 });
  });
});

describe('subset', () => {
  test('copies the chosen examples with their labels', () => {
    const d = halves(6);
    const s = subset(d, [5, 0]);
    assert.deepEqual(Array.from(s.labels), [1, 0]);
    assert.deepEqual(s.images.subarray(0, 36), d.images.subarray(5 * 36, 6 * 36));
  });
});
