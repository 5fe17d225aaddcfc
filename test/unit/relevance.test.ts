import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureMask, parseFeature } from '../../src/shared/featureOfInterest';
import { Random } from '../../src/engine/random';
import { PERFECT_SEPARATION, auroc, aurocForFeatures, referenceRelevance, relevance, topByMagnitude } from '../../src/engine/relevance';
import { tokenize } from '../../src/engine/tokenizer';

/** Alternating word/space tokens; neuron `k` is +1 on spaces, every neuron has N(0, 0.1) noise. */
function spaceNeuronCase(units = 10, k = 2, tokens = 400) {
  const rng = new Random(17);
  const texts = Array.from({ length: tokens }, (_, t) => (t % 2 === 1 ? ' ' : ['the', 'whale', 'sea'][t % 3]!));
  const values = new Float32Array(tokens * units);
  for (let t = 0; t < tokens; t++) {
    for (let i = 0; i < units; i++) values[t * units + i] = 0.1 * rng.normal() + (i === k && texts[t] === ' ' ? 1 : 0);
  }
  return { texts, values, units, k };
}

describe('reference relevance (Visualization of RNNs, bugs fixed)', () => {
  it('ranks the space neuron first with relevance 1, every other neuron (including N−1−k) below 0.2', () => {
    const { texts, values, units, k } = spaceNeuronCase();
    const { mask } = featureMask(parseFeature(' '), texts);
    const rel = referenceRelevance(values, units, mask);
    assert.equal(rel[k], 1);
    for (let i = 0; i < units; i++) if (i !== k) assert.ok(rel[i]! < 0.2, `neuron ${i}: ${rel[i]}`);
    assert.ok(rel[units - 1 - k]! < 0.2, 'no flipped-row false hypothesis');
  });

  it('reflects at the edges: a = [3, 1, 0, …] with F = {0} has prominence 4', () => {
    const values = Float32Array.from([3, 1, 0, 0, 0]);
    const f = Uint8Array.from([1, 0, 0, 0, 0]);
    // Normalised by the best (only) neuron, so check the raw score through a second, weaker neuron.
    const two = Float32Array.from([3, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(referenceRelevance(values, 1, f)[0], 1);
    const rel = referenceRelevance(two, 2, f);
    // neuron 0 = [3, 1, 0, 0, 0]: prominence |6 − 1 − 1| = 4, difference |3 − 1/4| = 2.75;
    // neuron 1 = [1, 0, 0, 0, 0]: prominence |2 − 0 − 0| = 2, difference 1.
    assert.ok(Math.abs(rel[1]! - 3 / 6.75) < 1e-6);
  });

  it('gives zeros without feature tokens and a zero difference when every token is a feature', () => {
    const values = Float32Array.from([1, 2, 3, 4]);
    assert.deepEqual([...referenceRelevance(values, 1, [0, 0, 0, 0])], [0]);
    const all = referenceRelevance(Float32Array.from([0, 5, 0, 5, 1, 5, 1, 5]), 2, [1, 1, 1, 1]);
    assert.ok(all.every((x) => Number.isFinite(x)));
    assert.equal(all[1], 0, 'a constant neuron with no complement scores 0');
  });
});

describe("Cohen's d relevance", () => {
  it('gives a perfect detector (no spread on either side) the top score, not 0', () => {
    const values = Float32Array.from([1, 0.5, 0, 0.4, 1, 0.6, 0, 0.5]);
    const d = relevance(values, 2, [1, 0, 1, 0], 'cohen-d');
    assert.equal(d[0], PERFECT_SEPARATION);
    assert.ok(Math.abs(d[1]!) < 2);
    assert.equal(relevance(Float32Array.from([0, 1, 0, 1]), 1, [1, 0, 1, 0], 'cohen-d')[0], -PERFECT_SEPARATION);
  });
});

describe('AUROC relevance', () => {
  it('equals the pairwise probability, ties counted half', () => {
    const rng = new Random(3);
    const tokens = 60;
    const values = Float32Array.from({ length: tokens }, () => Math.round(rng.normal() * 2) / 2);
    const mask = Uint8Array.from({ length: tokens }, () => (rng.next() < 0.3 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let a = 0; a < tokens; a++) {
      for (let b = 0; b < tokens; b++) {
        if (!mask[a] || mask[b]) continue;
        pairs++;
        wins += values[a]! > values[b]! ? 1 : values[a] === values[b] ? 0.5 : 0;
      }
    }
    assert.ok(Math.abs(auroc(values, 1, mask)[0]! - wins / pairs) < 1e-12);
  });

  it('scores several features at once exactly as one at a time, dead neurons included', () => {
    const rng = new Random(8);
    const tokens = 500;
    const units = 3;
    // Neuron 0 varies, neuron 1 is dead (all ties), neuron 2 has few distinct values.
    const values = Float32Array.from({ length: tokens * units }, (_, k) =>
      k % 3 === 0 ? rng.normal() : k % 3 === 1 ? 0 : Math.round(rng.next() * 3),
    );
    const masks = [0.1, 0.5, 0.9].map((p) => Uint8Array.from({ length: tokens }, () => (rng.next() < p ? 1 : 0)));
    const together = aurocForFeatures(values, units, masks);
    masks.forEach((m, j) => assert.deepEqual([...together[j]!], [...auroc(values, units, m)]));
    assert.ok(
      together.every((scores) => scores[1] === 0.5),
      'a dead neuron is unrelated to everything',
    );
  });

  it('is 1 for a perfect detector, 0 for a perfect inverse one, 0.5 without feature tokens', () => {
    const values = Float32Array.from([0.9, -5, 0.8, -4, 0.7, -3].flatMap((v) => [v, -v]));
    const mask = [1, 0, 1, 0, 1, 0];
    assert.deepEqual([...auroc(values, 2, mask)], [1, 0]);
    assert.deepEqual([...auroc(values, 2, [0, 0, 0, 0, 0, 0])], [0.5, 0.5]);
  });

  it('finds the space neuron for " " with every statistic, and the full-stop neuron (not the space one) for "."', () => {
    const rng = new Random(23);
    const units = 8;
    const [spaceNeuron, stopNeuron] = [2, 5];
    const texts = Array.from({ length: 600 }, (_, t) => (t % 2 === 1 ? ' ' : t % 10 === 8 ? '.' : ['the', 'whale', 'sea'][t % 3]!));
    const values = new Float32Array(texts.length * units);
    texts.forEach((text, t) => {
      for (let i = 0; i < units; i++) {
        values[t * units + i] =
          0.1 * rng.normal() + (i === spaceNeuron && text === ' ' ? 1 : 0) + (i === stopNeuron && text === '.' ? 1 : 0);
      }
    });
    const space = featureMask(parseFeature(' '), texts).mask;
    const stop = featureMask(parseFeature('.'), texts).mask;
    for (const statistic of ['cohen-d', 'auroc', 'reference'] as const) {
      const centre = (scores: Float64Array) => (statistic === 'auroc' ? scores.map((s) => s - 0.5) : scores);
      assert.equal(topByMagnitude(centre(relevance(values, units, space, statistic)), 1)[0], spaceNeuron, `${statistic}: " "`);
      assert.equal(topByMagnitude(centre(relevance(values, units, stop, statistic)), 1)[0], stopNeuron, `${statistic}: "."`);
    }
  });
});

describe('features of interest', () => {
  it('matches exact token text, or a regular expression against the whole token', () => {
    const tokens = tokenize('Hi, you. Why?! a.', 'word').map((t) => t.text);
    assert.deepEqual(tokens, ['Hi', ',', ' ', 'you', '.', ' ', 'Why', '?', '!', ' ', 'a', '.']);
    const punct = parseFeature('/[?!.]/');
    assert.deepEqual(
      tokens.filter((t) => punct.matches(t)),
      ['.', '?', '!', '.'],
    );
    assert.equal(punct.matches('a.'), false);
    assert.equal(punct.matches('...'), false);
    assert.equal(featureMask(parseFeature(' '), tokens).count, 3);
    assert.equal(parseFeature('/why/i').matches('Why'), true);
    assert.equal(parseFeature('/').matches('/'), true, 'a lone slash is plain text');
  });

  it('refuses an empty feature and an invalid regular expression with a clear message', () => {
    assert.throws(() => parseFeature(''), /cannot be empty/);
    assert.throws(() => parseFeature('/(/'), /Feature \/\(\/ is not a valid regular expression/);
  });
});
