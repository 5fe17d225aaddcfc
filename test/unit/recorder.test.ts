import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { generate } from '../../src/engine/generator';
import { neuronTrace, recordActivations, resolveComponent } from '../../src/engine/recorder';
import { tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const TEXT = 'the cat sat on the mat.\r\nthe dog\tsat 👍 on e\u0301 log.';

describe('activation recording', () => {
  test('every component of every cell type is recorded with one row per token', async () => {
    const expected = { rnn: ['h', 'pre'], lstm: ['h', 'c', 'i', 'f', 'g', 'o'], gru: ['h', 'z', 'r', 'n'] };
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      const m = tinyModel(cell, 'char', 1, 6, 2);
      const rec = await recordActivations(m, TEXT);
      assert.equal(rec.tokens.map((t) => t.text).join(''), TEXT);
      assert.equal(rec.layers.length, 2);
      for (const layer of rec.layers) {
        assert.deepEqual(Object.keys(layer.components), expected[cell]);
        for (const values of Object.values(layer.components)) assert.equal(values.length, rec.tokens.length * 6);
      }
      m.model.dispose();
    }
  });

  test('chunked recording equals one-shot recording (state carried across chunks)', async () => {
    const m = tinyModel('lstm', 'word', 2, 5);
    const text = TEXT.repeat(5);
    const whole = await recordActivations(m, text, { chunkSize: 10_000 });
    const chunked = await recordActivations(m, text, { chunkSize: 7 });
    for (const c of ['h', 'c', 'f']) {
      const a = whole.layers[0]!.components[c]!;
      const b = chunked.layers[0]!.components[c]!;
      assert.ok(
        a.every((x, i) => Math.abs(x - b[i]!) < 1e-5),
        c,
      );
    }
    m.model.dispose();
  });

  test('component names, aliases, bad layers and neurons give clear messages', async () => {
    const m = tinyModel('lstm', 'char');
    assert.equal(resolveComponent(m.model, 0, 'forget'), 'f');
    assert.equal(resolveComponent(m.model, 0, 'cell'), 'c');
    assert.throws(
      () => resolveComponent(m.model, 0, 'update'),
      /Unknown component "update" for a LSTM layer; choose one of h \(hidden state\)/,
    );
    await assert.rejects(recordActivations(m, TEXT, { layers: [3] }), /Layer 3 does not exist: the model has 1 layer/);
    await assert.rejects(recordActivations(m, ''), (e: unknown) => e instanceof NeuronLensError && /empty/.test(e.message));
    const rec = await recordActivations(m, 'abc', { components: ['h'] });
    assert.throws(() => neuronTrace(rec.layers[0]!, 'h', 8), /Neuron 8 does not exist: layer 0 has 8 neurons \(0–7\)/);
    assert.equal(neuronTrace(rec.layers[0]!, 'h', 2).length, 3);
    m.model.dispose();
  });

  test('no tensor leak across repeated recordings', async () => {
    const m = tinyModel('gru', 'char');
    await recordActivations(m, TEXT);
    const start = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await recordActivations(m, TEXT, { chunkSize: 16 });
    assert.equal(tf.memory().numTensors, start);
    m.model.dispose();
  });

  test('cancellation stops a recording', async () => {
    const m = tinyModel('rnn', 'char');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(recordActivations(m, TEXT, { signal: controller.signal }), /Recording cancelled/);
    m.model.dispose();
  });
});

describe('generation', () => {
  test('is reproducible with a seed, keeps the prime, and records one row per token', async () => {
    const m = tinyModel('lstm', 'char', 4, 8);
    const a = await generate(m, { prime: 'the ', length: 30, seed: 5, temperature: 1 });
    const b = await generate(m, { prime: 'the ', length: 30, seed: 5, temperature: 1 });
    const c = await generate(m, { prime: 'the ', length: 30, seed: 6, temperature: 1 });
    assert.equal(a.text, b.text);
    assert.notEqual(a.text, c.text);
    assert.ok(a.text.startsWith('the '));
    assert.equal(a.tokens.length, 34);
    assert.equal(a.primeTokens, 4);
    assert.equal(a.tokens.map((t) => t.text).join(''), a.text);
    assert.equal(a.layers[0]!.components.h!.length, 34 * 8);
    m.model.dispose();
  });

  test('generated activations equal recording the generated text', async () => {
    const m = tinyModel('gru', 'char', 4, 8);
    const g = await generate(m, { prime: 'a cat', length: 20, seed: 1 });
    const rec = await recordActivations(m, g.text);
    const x = g.layers[0]!.components.z!;
    const y = rec.layers[0]!.components.z!;
    assert.ok(x.every((v, i) => Math.abs(v - y[i]!) < 1e-5));
    m.model.dispose();
  });

  test('temperature 0 is greedy and deterministic regardless of seed; bad options are refused', async () => {
    const m = tinyModel('rnn', 'char', 4, 8);
    const a = await generate(m, { length: 15, seed: 1, temperature: 0 });
    const b = await generate(m, { length: 15, seed: 2, temperature: 0 });
    assert.equal(a.text, b.text);
    assert.equal(a.tokens.length, 15);
    await assert.rejects(generate(m, { length: 0 }), /Length must be an integer/);
    await assert.rejects(generate(m, { temperature: -1 }), /Temperature/);
    m.model.dispose();
  });
});
