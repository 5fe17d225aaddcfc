import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { saveModel } from '../../src/engine/modelFolder';
import { featureMask, parseFeature } from '../../src/shared/featureOfInterest';
import { Random } from '../../src/engine/random';
import { featureRelevance } from '../../src/engine/featureRelevance';
import { auroc, standardizedMeanDifference } from '../../src/engine/relevance';
import {
  NullSampler,
  benjaminiHochberg,
  featureSeeds,
  permutationPValues,
  permutationPValuesForFeatures,
  significanceOf,
} from '../../src/engine/significance';
import { tokenize } from '../../src/engine/tokenizer';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

/** Char tokens of SMALL_TEXT; neuron 0 is +1 on spaces, the other `nulls` neurons are N(0, 1) noise. */
function spaceNeuronRecording(nulls = 200, seed = 5) {
  const texts = tokenize(SMALL_TEXT, 'char').map((t) => t.text);
  const units = nulls + 1;
  const rng = new Random(seed);
  const values = new Float32Array(texts.length * units);
  for (let t = 0; t < texts.length; t++) {
    values[t * units] = (texts[t] === ' ' ? 1 : 0) + 0.3 * rng.normal();
    for (let i = 1; i < units; i++) values[t * units + i] = rng.normal();
  }
  return { texts, values, units, mask: featureMask(parseFeature(' '), texts).mask };
}

/** Kolmogorov–Smirnov distance between the sample and U(0, 1). */
function ksUniform(sample: ArrayLike<number>): number {
  const sorted = Float64Array.from(sample).sort();
  let d = 0;
  sorted.forEach((x, i) => (d = Math.max(d, Math.abs((i + 1) / sorted.length - x), Math.abs(x - i / sorted.length))));
  return d;
}

describe('permutation p-values', () => {
  it('gives the space neuron p < 0.001 with 1,000 permutations and noise neurons roughly uniform p-values', () => {
    const { values, units, mask } = spaceNeuronRecording();
    for (const statistic of ['cohen-d', 'auroc', 'reference'] as const) {
      const p = permutationPValues(values, units, mask, statistic, { permutations: 1000, seed: 11 });
      assert.equal(p[0], 1 / 1001, `${statistic}: no draw reaches the space neuron`);
      assert.ok(p[0]! < 0.001);
      const nulls = p.subarray(1);
      // 200 null p-values: the 1% critical KS distance is 1.63/√200 ≈ 0.115.
      assert.ok(ksUniform(nulls) < 0.115, `${statistic}: KS distance ${ksUniform(nulls)}`);
      const deciles = new Array<number>(10).fill(0);
      for (const x of nulls) deciles[Math.min(9, Math.floor(x * 10))]!++;
      for (const count of deciles) assert.ok(count >= 6 && count <= 36, `${statistic}: deciles ${deciles.join(' ')}`);
      assert.ok(
        nulls.every((x) => x > 0 && x <= 1),
        'p-values lie in (0, 1]',
      );
    }
  });

  it("equals a brute-force count of |Cohen's d| and |AUROC − ½| over the same draws, on either side of n/2", () => {
    const rng = new Random(3);
    const units = 3;
    const n = 12;
    const values = Float32Array.from({ length: n * units }, () => rng.normal());
    for (const mask of [Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0]), Uint8Array.from([1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0])]) {
      for (const nullModel of ['shuffle', 'circular-shift'] as const) {
        const N = 300;
        const seed = 8;
        const d0 = standardizedMeanDifference(values, units, mask);
        const a0 = auroc(values, units, mask);
        const sampler = new NullSampler(nullModel, mask, featureSeeds(seed, 1)[0]!);
        const dCount = new Array<number>(units).fill(0);
        const aCount = new Array<number>(units).fill(0);
        for (let draw = 0; draw < N; draw++) {
          const drawn = new Uint8Array(n).fill(sampler.complement ? 1 : 0);
          for (const t of sampler.next()) drawn[t] = sampler.complement ? 0 : 1;
          assert.equal(
            drawn.reduce((a, b) => a + b, 0),
            mask.reduce((a, b) => a + b, 0),
            'a draw keeps the feature count',
          );
          const d = standardizedMeanDifference(values, units, drawn);
          const a = auroc(values, units, drawn);
          for (let i = 0; i < units; i++) {
            if (Math.abs(d[i]!) >= Math.abs(d0[i]!) - 1e-9) dCount[i]!++;
            if (Math.abs(a[i]! - 0.5) >= Math.abs(a0[i]! - 0.5) - 1e-9) aCount[i]!++;
          }
        }
        const options = { permutations: N, seed, nullModel };
        assert.deepEqual(
          [...permutationPValues(values, units, mask, 'cohen-d', options)],
          dCount.map((c) => (1 + c) / (N + 1)),
        );
        assert.deepEqual(
          [...permutationPValues(values, units, mask, 'auroc', options)],
          aCount.map((c) => (1 + c) / (N + 1)),
        );
      }
    }
  });

  it('draws rotations of the mask under circular-shift', () => {
    const mask = Uint8Array.from([0, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
    const sampler = new NullSampler('circular-shift', mask, 4);
    const rotations = new Set(
      Array.from({ length: mask.length }, (_, s) => mask.map((_, t) => mask[(t - s + mask.length) % mask.length]!).join('')),
    );
    for (let draw = 0; draw < 30; draw++) {
      const drawn = new Uint8Array(mask.length);
      for (const t of sampler.next()) drawn[t] = 1;
      assert.ok(rotations.has(drawn.join('')), drawn.join(''));
    }
  });

  it('keeps the false-positive rate of autocorrelated noise near nominal with circular-shift, unlike shuffle', () => {
    // Slow AR(1) neurons (φ = 0.98) against a feature that comes in runs of 20 tokens: nothing
    // relates them, but shuffling positions ignores that neighbours move together.
    const n = 2000;
    const units = 100;
    const rng = new Random(21);
    const values = new Float32Array(n * units);
    for (let i = 0; i < units; i++) {
      let x = rng.normal();
      for (let t = 0; t < n; t++) values[t * units + i] = x = 0.98 * x + 0.2 * rng.normal();
    }
    const mask = Uint8Array.from({ length: n }, (_, t) => (Math.floor(t / 20) % 5 === 0 ? 1 : 0));
    const falsePositives = (nullModel: 'shuffle' | 'circular-shift') =>
      permutationPValues(values, units, mask, 'cohen-d', { permutations: 500, seed: 2, nullModel }).filter((p) => p < 0.05).length;
    const shuffled = falsePositives('shuffle');
    const shifted = falsePositives('circular-shift');
    assert.ok(shuffled > 30, `shuffle flags ${shuffled} of 100 unrelated neurons`);
    assert.ok(shifted <= 15, `circular-shift flags ${shifted} of 100`);
  });

  it('is identical for identical seeds and differs for another seed; features keep their p-values when one is appended', () => {
    const { values, units, mask, texts } = spaceNeuronRecording(20);
    const run = (seed: number) => permutationPValues(values, units, mask, 'cohen-d', { permutations: 200, seed });
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
    const dots = featureMask(parseFeature('.'), texts).mask;
    const both = permutationPValuesForFeatures(values, units, [mask, dots], 'auroc', { permutations: 200, seed: 7 });
    const alone = permutationPValuesForFeatures(values, units, [mask], 'auroc', { permutations: 200, seed: 7 });
    assert.deepEqual(both[0], alone[0]);
  });

  it('gives p = 1 for a constant or NaN neuron and for a feature with no or every token; 0 permutations means no test', () => {
    const values = Float32Array.from([0.5, 1, 0.5, 2, 0.5, 3, 0.5, 4]);
    assert.deepEqual([...permutationPValues(values, 2, [1, 0, 1, 0], 'cohen-d', { permutations: 50 })].slice(0, 1), [1]);
    assert.deepEqual([...permutationPValues(values, 2, [0, 0, 0, 0], 'auroc', { permutations: 50 })], [1, 1]);
    assert.deepEqual([...permutationPValues(values, 2, [1, 1, 1, 1], 'reference', { permutations: 50 })], [1, 1]);
    assert.deepEqual([...permutationPValues(values, 2, [1, 0, 0, 0], 'cohen-d', { permutations: 0 })], [1, 1]);
    const broken = Float32Array.from([NaN, 1, 0, 2, 0, 3, 0, 4]);
    assert.equal(permutationPValues(broken, 2, [1, 0, 1, 0], 'cohen-d', { permutations: 50 })[0], 1, 'NaN is no evidence');
  });

  it('rejects a bad permutation count or false discovery rate with a clear message', () => {
    const values = Float32Array.from([1, 2, 3, 4]);
    assert.throws(
      () => permutationPValues(values, 1, [1, 0, 0, 0], 'cohen-d', { permutations: -1 }),
      /permutations must be an integer from 0 to 1000000, not -1/,
    );
    assert.throws(() => permutationPValues(values, 1, [1, 0, 0, 0], 'cohen-d', { permutations: 2.5 }), /not 2\.5/);
    assert.throws(() => significanceOf(Float64Array.of(0.1), 1.5), /false discovery rate must be a number between 0 and 1, not 1\.5/);
  });
});

describe('relevance table with significance', () => {
  it('keeps the scores, adds the p-values of each feature and their BH q-values, for every statistic', () => {
    const { values, units, texts } = spaceNeuronRecording(30);
    const masks = [' ', '.'].map((f) => featureMask(parseFeature(f), texts).mask);
    for (const statistic of ['cohen-d', 'auroc', 'reference'] as const) {
      const plain = featureRelevance(values, units, texts, [' ', '.'], statistic, 3);
      const tested = featureRelevance(values, units, texts, [' ', '.'], statistic, 3, { permutations: 1000, seed: 9, fdr: 0.1 });
      assert.equal(plain.significance, undefined);
      assert.deepEqual(tested.significance, { permutations: 1000, seed: 9, nullModel: 'shuffle', fdr: 0.1 });
      const direct = permutationPValuesForFeatures(values, units, masks, statistic, { permutations: 1000, seed: 9 });
      tested.features.forEach((f, j) => {
        assert.deepEqual(f.scores, plain.features[j]!.scores, `${statistic}: scores unchanged`);
        assert.deepEqual(f.top, plain.features[j]!.top);
        assert.deepEqual(f.pValues, direct[j]);
        assert.deepEqual(f.qValues, benjaminiHochberg(direct[j]!));
        assert.deepEqual(f.significant, significanceOf(direct[j]!, 0.1).significant);
      });
      // Alone among 31 neurons at the floor p = 1/1001, it gets q = 31/1001 ≈ 0.03 (with 300 draws, 31/301 > 0.1).
      assert.equal(tested.features[0]!.significant![0], 1, `${statistic}: the space neuron is significant`);
    }
  });
});

describe('Benjamini–Hochberg', () => {
  it('matches a hand-worked example, including the step-up case', () => {
    // Sorted p: 0.005 0.01 0.03 0.04 0.2 → p·m/rank: 0.025 0.025 0.05 0.05 0.2 → running minimum from the top.
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2]);
    assert.deepEqual(
      [...q].map((x) => Number(x.toFixed(12))),
      [0.025, 0.05, 0.05, 0.025, 0.2],
    );
    assert.deepEqual([...significanceOf(Float64Array.from([0.01, 0.04, 0.03, 0.005, 0.2]), 0.05).significant], [1, 1, 1, 1, 0]);
    assert.deepEqual([...significanceOf(Float64Array.from([0.01, 0.04, 0.03, 0.005, 0.2]), 0.04).significant], [1, 0, 0, 1, 0]);
    // Step-up: 0.04 > 3·0.05/4 = 0.0375 alone, but 0.049 ≤ 4·0.05/4 carries every smaller p with it.
    const stepUp = significanceOf(Float64Array.from([0.049, 0.001, 0.04, 0.012]), 0.05);
    assert.deepEqual(
      [...stepUp.qValues].map((x) => Number(x.toFixed(12))),
      [0.049, 0.004, 0.049, 0.024],
    );
    assert.deepEqual([...stepUp.significant], [1, 1, 1, 1]);
    assert.deepEqual([...benjaminiHochberg([0.9, 0.8])], [0.9, 0.9]);
  });
});

describe('neuron-lens relevance with a permutation test', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main(['relevance', ...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('adds p, q and significant per neuron to --json and marks significant hypotheses in the table', async () => {
    await initBackend('wasm');
    const dir = tempDir();
    const m = tinyModel('lstm', 'char', 1, 6);
    await saveModel(dir, m);
    m.model.dispose();
    const text = SMALL_TEXT.slice(0, 400);
    const args = ['--model', dir, '--text', text, '--feature', ' ', '--feature', 'zebra', '--top', '6', '--seed', '3'];
    const r = await run(...args, '--permutations', '200', '--fdr', '0.1', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      significance: { permutations: number; fdr: number; nullModel: string; seed: number };
      features: {
        p: number[];
        q: number[];
        significant: boolean[];
        top: { neuron: number; p: number; q: number; significant: boolean }[];
      }[];
    };
    assert.deepEqual(j.significance, { permutations: 200, seed: 3, nullModel: 'shuffle', fdr: 0.1 });
    const [space, zebra] = j.features;
    assert.equal(space!.p.length, 6);
    space!.p.forEach((p, i) => {
      assert.ok(p >= 1 / 201 - 1e-6 && p <= 1, 'p is never below 1/(N + 1)');
      assert.ok(space!.q[i]! >= p - 1e-6, 'q ≥ p');
      assert.equal(space!.significant[i], space!.q[i]! <= 0.1);
    });
    assert.ok(space!.significant.some(Boolean), 'some neuron of an LSTM reading text responds to spaces');
    for (const t of space!.top)
      assert.deepEqual([t.p, t.q, t.significant], [space!.p[t.neuron], space!.q[t.neuron], space!.significant[t.neuron]]);
    assert.deepEqual(zebra!.p, [1, 1, 1, 1, 1, 1], 'a feature no token matches has nothing to test');
    const again = JSON.parse((await run(...args, '--permutations', '200', '--fdr', '0.1', '--json')).out) as typeof j;
    assert.deepEqual(again.features[0]!.p, space!.p, 'the same seed gives the same p-values');

    const table = await run(...args, '--null', 'circular-shift');
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /p: two-sided permutation test, 1000 circular-shift draws \(seed 3\).*\* = significant at FDR 0\.05/);
    assert.match(table.out, /" " .*\d+ significant .*p [\d.e-]+, q [\d.e-]+\)/);
    const plain = await run(...args);
    assert.doesNotMatch(plain.out, /permutation|significant/, 'no test unless asked');
    assert.match((await run(...args, '--fdr', '1')).err, /--fdr must be between 0 and 1 \(exclusive\), not 1/);
    assert.match((await run(...args, '--null', 'bootstrap')).err, /--null must be one of shuffle, circular-shift, not "bootstrap"/);
    assert.match((await run(...args, '--permutations=-5')).err, /--permutations must be at least 0/);
  });
});
