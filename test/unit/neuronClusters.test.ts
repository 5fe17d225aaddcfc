import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { saveModel } from '../../src/engine/modelFolder';
import { initBackend } from '../../src/engine/backend';
import { pearson, ranks, spearman } from '../../src/engine/correlation';
import { kMeans } from '../../src/engine/kMeans';
import { type ClusterMethod, clusterNeurons } from '../../src/engine/neuronClusters';
import { nmf } from '../../src/engine/nmf';
import { Random } from '../../src/engine/random';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const LETTERS = ['a', 'b', 'c'];
/** Planted groups: neuron n belongs to group GROUP[n] and fires on that group's letter. */
const GROUP = [0, 1, 2, 0, 1, 2, 2, 0, 1, 0, 2, 1];

/**
 * 600 random tokens over "abcde "; neuron n = scale_n · [token is LETTERS[group]] + N(0, 0.05),
 * with scales from 0.5 to 2 so that only the shape of the profile, not its size, groups them.
 */
function planted(seed = 5) {
  const rng = new Random(seed);
  const alphabet = 'abcde ';
  const texts = Array.from({ length: 600 }, () => alphabet[rng.int(alphabet.length)]!);
  const units = GROUP.length;
  const scales = GROUP.map(() => 0.5 + 1.5 * rng.next());
  const values = new Float32Array(texts.length * units);
  texts.forEach((text, t) => {
    for (let n = 0; n < units; n++) values[t * units + n] = (text === LETTERS[GROUP[n]!] ? scales[n]! : 0) + 0.05 * rng.normal();
  });
  return { texts, values, units };
}

/** Same partition as GROUP, whatever the cluster numbers. */
function assertPlantedPartition(assignments: Int32Array) {
  for (let i = 0; i < GROUP.length; i++) {
    for (let j = 0; j < GROUP.length; j++) {
      assert.equal(assignments[i] === assignments[j], GROUP[i] === GROUP[j], `neurons ${i} and ${j}: ${[...assignments]}`);
    }
  }
}

before(async () => {
  await initBackend('wasm');
});

describe('neuron clusters', () => {
  for (const method of ['kmeans', 'nmf'] as ClusterMethod[]) {
    it(`${method} recovers planted groups, names each by its letter and feature, and is seeded`, () => {
      const { texts, values, units } = planted();
      const tensors = tf.memory().numTensors;
      const options = { k: 3, method, seed: 11, features: ['a', 'b', 'c', ' '] };
      const result = clusterNeurons(values, units, texts, options);
      assert.equal(tf.memory().numTensors, tensors, 'no tensor is left behind');
      assertPlantedPartition(result.assignments);
      for (const cluster of result.clusters) {
        const letter = LETTERS[GROUP[cluster.neurons[0]!]!]!;
        assert.equal(cluster.topTokens[0]!.text, letter);
        assert.equal(cluster.features[0]!.feature, letter);
        assert.ok(cluster.features[0]!.correlation > 0.9, `r = ${cluster.features[0]!.correlation}`);
        assert.ok(cluster.label.startsWith(JSON.stringify(letter)));
        assert.equal(cluster.factor.length, texts.length);
        // The factor is what colours the editor: high exactly on the cluster's letter.
        assert.ok(
          pearson(
            cluster.factor,
            texts.map((t) => (t === letter ? 1 : 0)),
          ) > 0.9,
        );
      }
      const again = clusterNeurons(values, units, texts, options);
      assert.deepEqual(again.assignments, result.assignments);
      assert.deepEqual(again.clusters[0]!.factor, result.clusters[0]!.factor);
      assertPlantedPartition(clusterNeurons(values, units, texts, { ...options, seed: 12 }).assignments);
    });
  }

  it('k-means groups by correlation: a neuron that is the negative of another is far from it', () => {
    const rng = new Random(3);
    const tokens = 200;
    const base = Array.from({ length: tokens }, () => rng.normal());
    const other = Array.from({ length: tokens }, () => rng.normal());
    // n0 = base, n1 = 10·base + 3 (same profile, another scale), n2 = −base, n3 = other.
    const rows = base.map((b, t) => [b, 10 * b + 3, -b, other[t]!]);
    const result = clusterNeurons(Float32Array.from(rows.flat()), 4, Array(tokens).fill('x'), { k: 3, method: 'kmeans', seed: 1 });
    assert.equal(result.assignments[0], result.assignments[1]);
    assert.notEqual(result.assignments[0], result.assignments[2]);
    assert.notEqual(result.assignments[0], result.assignments[3]);
    // n0 and n1 have the same z-scored profile and the others are alone: nothing is left unexplained.
    assert.ok(result.inertia! < 1e-3, `inertia ${result.inertia}`);
  });

  it('refuses a bad k or a recording of the wrong size', () => {
    const { texts, values, units } = planted();
    assert.throws(
      () => clusterNeurons(values, units, texts, { k: 13, method: 'kmeans', seed: 1 }),
      /k must be an integer from 1 to 12 \(the number of neurons\), not 13/,
    );
    assert.throws(() => clusterNeurons(values, units, texts, { k: 0, method: 'nmf', seed: 1 }), /not 0/);
    assert.throws(
      () => clusterNeurons(values.subarray(1), units, texts, { k: 2, method: 'kmeans', seed: 1 }),
      /7199 values, not 600 tokens × 12 neurons/,
    );
  });
});

describe('NMF', () => {
  it('never increases the reconstruction error and fits a rank-2 matrix almost exactly', () => {
    const rng = new Random(8);
    const w = Array.from({ length: 6 * 2 }, () => rng.next());
    const h = Array.from({ length: 2 * 40 }, () => rng.next());
    const v = new Float32Array(6 * 40);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 40; j++) v[i * 40 + j] = w[i * 2]! * h[j]! + w[i * 2 + 1]! * h[40 + j]!;
    const tensors = tf.memory().numTensors;
    const data = tf.tensor2d(v, [6, 40]);
    const result = nmf(data, 2, { seed: 4, iterations: 300, tolerance: 0, errorEvery: 1 });
    data.dispose();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(result.errors.length, 300);
    assert.equal(result.updates, 300);
    for (let i = 1; i < result.errors.length; i++) {
      // float32 sums: allow rounding noise of a millionth, nothing more.
      assert.ok(result.errors[i]! <= result.errors[i - 1]! * (1 + 1e-6), `update ${i}: ${result.errors[i - 1]} → ${result.errors[i]}`);
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    assert.ok(result.errors.at(-1)! < 0.02 * norm, `relative error ${result.errors.at(-1)! / norm}`);
    assert.ok(result.errors[0]! > 2 * result.errors.at(-1)!);
    assert.ok([...result.w, ...result.h].every((x) => x >= 0));
  });

  it('refuses negative data', () => {
    const data = tf.tensor2d([1, -2, 3, 4], [2, 2]);
    assert.throws(() => nmf(data, 1, { seed: 1 }), /non-negative data; the smallest value is -2/);
    data.dispose();
  });
});

describe('k-means', () => {
  it('k-means++ separates far-apart blobs from a single start and numbers clusters by first row', () => {
    const rng = new Random(2);
    const centres = [
      [0, 0],
      [10, 10],
      [-10, 10],
    ];
    const rows = Array.from({ length: 30 }, (_, i) => centres[(i * 7) % 3]!.map((c) => c + 0.1 * rng.normal()));
    const data = tf.tensor2d(rows);
    const result = kMeans(data, 3, { seed: 9, restarts: 1 });
    data.dispose();
    assert.deepEqual(
      [...result.assignments],
      rows.map((_, i) => [0, 1, 2][(i * 7) % 3]!),
    );
    assert.ok(result.inertia < 30 * 2 * 0.1 ** 2 * 3, `inertia ${result.inertia}`);
  });
});

describe('correlation', () => {
  it('gives Pearson ±1 for linear relations and Spearman ±1 for monotonic ones, 0 for a constant', () => {
    const x = [1, 2, 3, 4, 5];
    assert.ok(Math.abs(pearson(x, [3, 5, 7, 9, 11]) - 1) < 1e-12);
    assert.ok(Math.abs(pearson(x, [-1, -2, -3, -4, -5]) + 1) < 1e-12);
    assert.ok(pearson(x, [1, 8, 27, 64, 125]) < 0.99);
    assert.equal(spearman(x, [1, 8, 27, 64, 125]), 1);
    assert.equal(pearson(x, [2, 2, 2, 2, 2]), 0);
    assert.deepEqual([...ranks([10, 30, 20, 30])], [1, 3.5, 2, 3.5]);
  });
});

describe('clusters command', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it("clusters a model's neurons on a text, reproducibly, with a factor per token", async () => {
    const model = tempDir();
    const m = tinyModel('lstm', 'char', 1, 8);
    await saveModel(model, m);
    m.model.dispose();
    const text = SMALL_TEXT.slice(0, 400);
    for (const method of ['kmeans', 'nmf']) {
      const argv = [
        'clusters',
        '--model',
        model,
        '--text',
        text,
        '--k',
        '3',
        '--method',
        method,
        '--seed',
        '7',
        '--feature',
        ' ',
        '--json',
      ];
      const r = await run(...argv);
      assert.equal(r.code, 0, r.err);
      const json = JSON.parse(r.out);
      assert.equal(json.clusters.length, 3);
      assert.deepEqual(
        json.clusters.flatMap((c: { neurons: number[] }) => c.neurons).sort((x: number, y: number) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      for (const c of json.clusters) {
        assert.equal(c.factor.length, 400);
        assert.deepEqual(
          c.features.map((f: { feature: string }) => f.feature),
          [' '],
        );
      }
      assert.equal((await run(...argv)).out, r.out, `${method} is deterministic for a seed`);
    }
    const text1 = await run('clusters', '--model', model, '--text', text, '--k', '2');
    assert.match(text1.out, /^400 tokens, layer 0 h, 8 neurons in 2 clusters \(kmeans, seed 1\); inertia [\d.]+\ncluster {2}0 /);
    const tooMany = await run('clusters', '--model', model, '--text', text, '--k', '9');
    assert.match(tooMany.err, /--k must be at most 8/);
    const method = await run('clusters', '--model', model, '--text', text, '--method', 'pca');
    assert.match(method.err, /--method must be one of kmeans, nmf, not "pca"/);
  });
});
