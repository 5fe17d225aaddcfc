import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { compare, invertFeatures } from '../../src/engine/optimization/featureInversion';
import { Random } from '../../src/engine/random';
import { recordActivations } from '../../src/engine/recorder';
import { Vocabulary } from '../../src/engine/vocabulary';
import { tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

/**
 * A char RNN with no recurrence and one unit per token: h_t = tanh(2·onehot(x_t)), so the last
 * hidden state names the last token exactly and says nothing about the ones before it.
 */
function lastTokenModel() {
  const vocabulary = Vocabulary.build('abcdef'.split(''));
  const tokenizer = new ModelTokenizer('char', vocabulary);
  const V = vocabulary.size;
  const arch = makeArchitecture({ cell: 'rnn', level: 'char', vocabSize: V, hiddenSize: V });
  const identity = Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => (i === j ? 2 : 0)));
  const weights = new Map(
    modelWeightSpecs(arch).map((s) => [s.name, s.name === 'layers/0/kernel' ? tf.tensor(identity, s.shape) : tf.zeros(s.shape)]),
  );
  const model = new LanguageModel(arch, weights);
  tf.dispose([...weights.values()]);
  return { model, tokenizer };
}

describe('feature inversion', () => {
  test('the state that names the last token is inverted to that token, at distance ≈ 0', async () => {
    const loaded = lastTokenModel();
    for (const [text, length] of [
      ['abcde', 3],
      ['fac', 1],
    ] as const) {
      const r = await invertFeatures(loaded, text, { length, starts: 3, steps: 60, seed: 1, polish: 0 });
      assert.equal(r.sequences.length, 3);
      assert.deepEqual(r.reference, { distance: 0, cosine: 1 });
      assert.equal(r.targetTokens, text.length);
      const best = r.sequences[r.best]!;
      assert.equal(best.tokens.length, length);
      assert.equal(best.tokens[length - 1], text.at(-1));
      assert.ok(best.distance < 1e-6, `distance ${best.distance}`);
      assert.ok(best.cosine > 1 - 1e-6);
      for (const s of r.sequences) assert.ok(s.distance >= best.distance);
    }
    loaded.model.dispose();
  });

  test('on a trained-shape LSTM the recovered text is closer than random text and its numbers are real', async () => {
    const loaded = tinyModel('lstm', 'char', 4, 8);
    const text = 'the dog sat on the log.';
    const r = await invertFeatures(loaded, text, { length: 6, starts: 4, steps: 80, seed: 2 });
    const rec = await recordActivations(loaded, text, { layers: [0], components: ['h'] });
    const h = rec.layers[0]!.components.h!;
    const target = h.slice(h.length - 8);
    assert.ok(Math.abs(r.targetNorm - Math.hypot(...target)) < 1e-5);
    const best = r.sequences[r.best]!;
    // Re-score the decoded text independently.
    const again = await recordActivations(loaded, best.text, { layers: [0], components: ['h'] });
    const hb = again.layers[0]!.components.h!;
    const check = compare(hb.slice(hb.length - 8), target);
    assert.ok(Math.abs(check.distance - best.distance) < 1e-4, `${check.distance} vs ${best.distance}`);
    assert.ok(Math.abs(check.cosine - best.cosine) < 1e-4);
    // Random sequences of the same length, from the same tokens: the inversion beats the median.
    const rng = new Random(9);
    const vocab = loaded.tokenizer.vocabulary;
    const distances: number[] = [];
    for (let i = 0; i < 30; i++) {
      const random = Array.from({ length: 6 }, () => vocab.token(1 + rng.int(vocab.size - 1))).join('');
      const rr = await recordActivations(loaded, random, { layers: [0], components: ['h'] });
      const hr = rr.layers[0]!.components.h!;
      distances.push(compare(hr.slice(hr.length - 8), target).distance);
    }
    distances.sort((a, b) => a - b);
    assert.ok(best.distance < distances[0]!, `best ${best.distance}, random ${distances.slice(0, 3)}`);
    loaded.model.dispose();
  });

  test('bad input is a clear error', async () => {
    const loaded = lastTokenModel();
    await assert.rejects(invertFeatures(loaded, 'abc', { length: 0 }), /The length must be a positive integer, not 0/);
    await assert.rejects(invertFeatures(loaded, '  ', { length: 2 }), /The text is empty: there is no state to invert/);
    await assert.rejects(invertFeatures(loaded, 'abc', { length: 2, layer: 3 }), /Layer 3 does not exist: the model has 1 layer/);
    await assert.rejects(invertFeatures(loaded, 'abc', { length: 2, component: 'c' }), /Unknown component "c" for a RNN layer/);
    loaded.model.dispose();
  });

  test('a cancelled inversion stops with a clear error', async () => {
    const loaded = lastTokenModel();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(invertFeatures(loaded, 'abc', { length: 2, signal: controller.signal }), /Feature inversion cancelled/);
    loaded.model.dispose();
  });

  test('no tensors leak across repeated runs', async () => {
    const loaded = lastTokenModel();
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await invertFeatures(loaded, 'abcde', { length: 2, starts: 2, steps: 12 });
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor counts ${counts}`);
    loaded.model.dispose();
  });
});

describe('neuron-lens invert', () => {
  test('--json gives one result per start with the reference at distance 0; bad input is one line', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const dir = path.join(tempDir(), 'model');
    const loaded = lastTokenModel();
    await saveModel(dir, loaded);
    loaded.model.dispose();
    const run = (...args: string[]) => main([...args, '--backend', 'wasm'], io);
    const args = ['invert', '--model', dir, '--text', 'cafe', '--length', '2', '--starts', '2', '--steps', '40'];
    assert.equal(await run(...args, '--json'), 0, err.join('\n'));
    const r = JSON.parse(out.join(''));
    assert.equal(r.sequences.length, 2);
    assert.deepEqual(r.reference, { distance: 0, cosine: 1 });
    assert.equal(r.sequences[r.best].tokens[1], 'e');
    out.length = 0;
    assert.equal(await run(...args), 0, err.join('\n'));
    assert.match(out[0]!, /^layer 0 h after 4 tokens \(norm \d\.\d{4}\): 2 starts × 40 steps, length 2$/);
    assert.match(out[1]!, /^the text +distance 0\.0000 {2}cosine 1\.0000$/);
    assert.match(out[2]!, /^start \d \* +distance 0\.0000/);
    for (const [bad, message] of [
      [['--length', '0'], /--length must be at least 1/],
      [['--layer', '2'], /Layer 2 does not exist/],
    ] as const) {
      err.length = 0;
      assert.equal(await run('invert', '--model', dir, '--text', 'abc', ...bad), 1);
      assert.match(err.join('\n'), message);
    }
  });
});
