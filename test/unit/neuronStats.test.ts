import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeuronLensError } from '../../src/engine/errors';
import { checkNeuron, describeNeurons, internTexts, neuronColumn, neuronStats, topNeuronsAt } from '../../src/engine/neuronStats';
import { standardizedMeanDifference } from '../../src/engine/relevance';
import { rankNeuronsForSelection, selectedTokens } from '../../src/engine/selectionRanking';
import { charTokens, wordTokens } from '../../src/engine/tokenizer';

/** tokens × units from rows. */
function matrix(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

describe('neuron statistics', () => {
  test('texts are interned in order of first appearance', () => {
    const t = internTexts(['b', 'a', 'b', 'c', 'a']);
    assert.deepEqual(t.texts, ['b', 'a', 'c']);
    assert.deepEqual([...t.ids], [0, 1, 0, 2, 1]);
  });

  test('a column is one neuron across tokens', () => {
    const values = matrix([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual([...neuronColumn(values, 3, 1)], [2, 5]);
    assert.deepEqual([...neuronColumn(values, 3, 2)], [3, 6]);
  });

  test('mean, population std, min, max and the distinct texts where the neuron is highest', () => {
    const column = Float32Array.of(1, 3, -2, 3, 0);
    const texts = internTexts(['a', 'b', 'c', 'b', 'a']);
    const s = neuronStats(column, 7, texts, 2);
    assert.equal(s.neuron, 7);
    assert.equal(s.mean, 1);
    assert.equal(s.std, Math.sqrt(18 / 5));
    assert.equal(s.min, -2);
    assert.equal(s.max, 3);
    assert.deepEqual(s.topTokens, ['b', 'a']);
    assert.deepEqual(neuronStats(column, 7, texts, 10).topTokens, ['b', 'a', 'c']);
    assert.deepEqual(neuronStats(column, 7, texts, 0).topTokens, []);
  });

  test('texts tied on their highest value keep the order they first appear in', () => {
    const column = Float32Array.of(0, 2, 2, 1, 2);
    assert.deepEqual(neuronStats(column, 0, internTexts(['p', 'y', 'x', 'p', 'z']), 3).topTokens, ['y', 'x', 'z']);
  });

  test('over no tokens every statistic is 0', () => {
    assert.deepEqual(neuronStats(new Float32Array(0), 3, internTexts([]), 5), {
      neuron: 3,
      mean: 0,
      std: 0,
      min: 0,
      max: 0,
      topTokens: [],
    });
  });

  test('describeNeurons gives every neuron, each from its own column', () => {
    const values = matrix([
      [1, -1],
      [3, -3],
      [2, 5],
    ]);
    const stats = describeNeurons(values, 2, internTexts(['x', 'y', 'z']), 1);
    assert.deepEqual(
      stats.map((s) => [s.neuron, s.mean, s.min, s.max, s.topTokens]),
      [
        [0, 2, 1, 3, ['y']],
        [1, 1 / 3, -3, 5, ['z']],
      ],
    );
  });

  test('the most active neurons at a token are ordered by |value|, ties to the lower index', () => {
    const values = matrix([
      [9, 9, 9, 9],
      [0.25, -0.75, 0.5, -0.5],
    ]);
    assert.deepEqual(topNeuronsAt(values, 4, 1, 3), [
      { neuron: 1, value: -0.75 },
      { neuron: 2, value: 0.5 },
      { neuron: 3, value: -0.5 },
    ]);
    assert.equal(topNeuronsAt(values, 4, 1, 10).length, 4);
  });

  test('a neuron outside the layer is named with the valid range', () => {
    assert.equal(checkNeuron(3, 4, 1), 3);
    for (const bad of [4, -1, 1.5, '2']) {
      assert.throws(
        () => checkNeuron(bad, 4, 1),
        (e: unknown) => e instanceof NeuronLensError && e.message === `Neuron ${bad} does not exist: layer 1 has 4 neurons (0–3)`,
      );
    }
  });
});

describe('ranking neurons for a selection', () => {
  // "ab a c a": spaces at 2, 4 and 6; 'a' at 0, 3 and 7.
  const tokens = charTokens('ab a c a');
  // Neuron 0 is noise, neuron 1 rises on 'a', neuron 2 drops a little on 'a'.
  const values = matrix([
    [0.3, 0.9, -0.1],
    [0.1, 0.1, 0.0],
    [0.2, 0.0, 0.1],
    [0.0, 0.8, -0.2],
    [0.3, 0.2, 0.1],
    [0.1, 0.1, 0.0],
    [0.2, 0.0, 0.2],
    [0.2, 1.0, -0.1],
  ]);

  test('selected tokens: overlapping ones, or the one containing an empty selection', () => {
    assert.deepEqual(selectedTokens(tokens, 0, 1), [0]);
    assert.deepEqual(selectedTokens(tokens, 1, 4), [1, 2, 3]);
    assert.deepEqual(selectedTokens(tokens, 3, 3), [3]);
    assert.deepEqual(selectedTokens(tokens, 8, 8), []);
    // Part of a word selects the word.
    const words = wordTokens('the whale, the sea');
    assert.deepEqual(selectedTokens(words, 5, 7), [2]);
    assert.deepEqual(selectedTokens(words, 8, 11), [2, 3, 4]);
  });

  test("tokens with the selected text are ranked against all others by |Cohen's d|", () => {
    const r = rankNeuronsForSelection(values, 3, tokens, 3, 4);
    assert.equal(r.matches, 3);
    assert.equal(r.statistic, "Cohen's d (standardized mean difference)");
    assert.deepEqual(
      r.neurons.map((n) => n.neuron),
      [1, 2, 0],
    );
    const isA = tokens.map((t) => (t.text === 'a' ? 1 : 0));
    const d = standardizedMeanDifference(values, 3, isA);
    for (const n of r.neurons) assert.equal(n.score, d[n.neuron]);
    assert.ok(r.neurons[0]!.score > 3);
    assert.ok(r.neurons[1]!.score < 0);
    const n1 = r.neurons[0]!;
    assert.ok(Math.abs(n1.meanIn - (0.9 + 0.8 + 1.0) / 3) < 1e-6);
    assert.ok(Math.abs(n1.meanOut - (0.1 + 0.0 + 0.2 + 0.1 + 0.0) / 5) < 1e-6);
  });

  test('a selection of several texts makes each of them a feature token', () => {
    // "b a" covers 'b', ' ' and 'a': only 'c' is outside.
    const r = rankNeuronsForSelection(values, 3, tokens, 1, 4);
    assert.equal(r.matches, 7);
  });

  test('a selection covering no analysed token, or every token, is refused with a reason', () => {
    assert.throws(
      () => rankNeuronsForSelection(values.subarray(0, 12), 3, tokens.slice(0, 4), 6, 8),
      /^NeuronLensError: The selection \(6–8\) covers no analysed token: only the first 4 tokens \(up to offset 4\) are analysed$/,
    );
    assert.throws(() => rankNeuronsForSelection(new Float32Array(0), 3, [], 0, 1), /The document has no analysed tokens yet/);
    const same = charTokens('aaa');
    assert.throws(
      () => rankNeuronsForSelection(new Float32Array(9), 3, same, 0, 1),
      /^NeuronLensError: Every analysed token is "a": there are no other tokens to compare with$/,
    );
    const two = charTokens('abab');
    assert.throws(() => rankNeuronsForSelection(new Float32Array(12), 3, two, 0, 2), /Every analysed token is one of "a", "b"/);
  });
});
