import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { CancelledError, NeuronLensError } from '../../src/engine/errors';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { maximizeActivation } from '../../src/engine/optimization/activationMaximization';
import { topCorpusSnippets } from '../../src/engine/optimization/corpusSnippets';
import { allowedTokens, argmaxRows, temperatureAt } from '../../src/engine/optimization/inputRelaxation';
import { randomSequences, scoreSequences } from '../../src/engine/optimization/sequenceScoring';
import { resolveTarget } from '../../src/engine/optimization/targets';
import { Random } from '../../src/engine/random';
import { neuronTrace, recordActivations } from '../../src/engine/recorder';
import { Vocabulary } from '../../src/engine/vocabulary';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const LETTERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/**
 * A char RNN whose neuron 0 is +2 on "c" and −1 on every other letter before tanh, with a small
 * self-loop, so it is highest after a run of "c"s. Neuron 1 is its mirror (fires on anything but
 * "c"). The logit of "a" reads neuron 0.
 */
function detectorModel() {
  const vocabulary = Vocabulary.build(LETTERS);
  const tokenizer = new ModelTokenizer('char', vocabulary);
  const v = vocabulary.size;
  const arch = makeArchitecture({ cell: 'rnn', level: 'char', vocabSize: v, hiddenSize: 2 });
  const weights = new Map(modelWeightSpecs(arch).map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
  const c = vocabulary.id('c');
  const kernel = weights.get('layers/0/kernel')!;
  for (let id = 0; id < v; id++) {
    kernel[id * 2] = id === c ? 2 : -1;
    kernel[id * 2 + 1] = id === c ? -1 : 1;
  }
  weights.get('layers/0/recurrent_kernel')!.set([0.5, 0, 0, 0.5]);
  weights.get('output/kernel')![0 * v + vocabulary.id('a')] = 3;
  const tensors = new Map(
    [...weights].map(([name, values]) => [name, tf.tensor(values, modelWeightSpecs(arch).find((s) => s.name === name)!.shape)]),
  );
  const model = new LanguageModel(arch, tensors);
  tf.dispose([...tensors.values()]);
  return { model, tokenizer, c };
}

const FAST = { starts: 4, steps: 60, learningRate: 0.2 };

describe('the continuous input path', () => {
  for (const embeddingSize of [0, 3]) {
    test(`one-hot input weights reproduce the token run (${embeddingSize ? 'embedding' : 'one-hot'} model)`, () => {
      const model = LanguageModel.initialize(
        makeArchitecture({ cell: 'lstm', level: 'char', vocabSize: 6, hiddenSize: 4, numLayers: 2, embeddingSize }),
        4,
      );
      const ids = Int32Array.from([1, 5, 2, 0, 3, 3, 4, 1]);
      const [viaIds, viaWeights] = [false, true].map((relaxed) =>
        tf.tidy(() => {
          const weights = relaxed ? (tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), 6), 'float32') as tf.Tensor2D) : undefined;
          const r = model.run(ids, 2, 4, model.zeroState(2), { inputWeights: weights, collect: () => true });
          return [...r.logits!.dataSync(), ...r.internals[1]!.c!.dataSync()];
        }),
      );
      viaIds!.forEach((x, k) => assert.ok(Math.abs(x - viaWeights![k]!) < 1e-5, `value ${k}: ${x} vs ${viaWeights![k]}`));
      model.dispose();
    });
  }
});

describe('relaxation helpers', () => {
  test('the temperature falls geometrically from start to end', () => {
    const schedule = { start: 2, end: 0.02 };
    assert.equal(temperatureAt(0, 11, schedule), 2);
    assert.ok(Math.abs(temperatureAt(10, 11, schedule) - 0.02) < 1e-12);
    assert.ok(Math.abs(temperatureAt(5, 11, schedule) - 0.2) < 1e-12, 'halfway is the geometric mean');
    assert.throws(() => temperatureAt(0, 5, { start: 0, end: 1 }), NeuronLensError);
  });

  test('argmax per row, and excluded tokens get a banning bias', () => {
    assert.deepEqual([...argmaxRows([0, 3, 1, 5, -1, 2], 2, 3)], [1, 0]);
    const { allowed, bias } = allowedTokens(4, [0, 2]);
    assert.deepEqual(allowed, [1, 3]);
    assert.ok(bias[0]! < -1e8 && bias[2]! < -1e8 && bias[1] === 0);
    assert.throws(() => allowedTokens(2, [0, 1]), /Every token is excluded/);
  });
});

describe('activation maximisation', () => {
  test('finds the known trigger token and beats random inputs by a wide margin', async () => {
    const { model, tokenizer, c } = detectorModel();
    const length = 6;
    for (const position of ['last', 'every'] as const) {
      const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position });
      const r = await maximizeActivation(model, tokenizer.vocabulary, target, { length, ...FAST, seed: 1 });
      const best = r.sequences[r.best]!;
      assert.equal(r.sequences.length, 4);
      assert.equal(best.ids.length, length);
      assert.equal(best.trace.length, length);
      const allowed = allowedTokens(model.vocabSize, [0]).allowed;
      const random = scoreSequences(model, target, randomSequences(300, length, allowed, new Random(9)));
      const bestRandom = Math.max(...random.values);
      if (position === 'last') {
        assert.equal(best.ids[length - 1], c, `the last token is "c": ${best.text}`);
      } else {
        assert.equal(best.text, 'cccccc');
        assert.ok(best.activation > bestRandom + 1, `${best.activation} vs random best ${bestRandom}`);
      }
      assert.ok(best.activation >= bestRandom, `${position}: ${best.activation} vs random best ${bestRandom}`);
      assert.ok(!best.ids.includes(0), '<unk> is never used');
      const expected = position === 'last' ? best.trace[length - 1]! : best.trace.reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(best.activation - expected) < 1e-5, `${best.activation} vs ${expected}`);
      assert.ok(Number.isFinite(best.relaxedObjective));
      for (const s of r.sequences) assert.ok(s.activation >= s.decodedActivation, 'the polish pass never makes a start worse');
    }
    // A next-token logit target reads the same neuron through the output layer.
    const logit = resolveTarget(model, { kind: 'logit', token: tokenizer.vocabulary.id('a'), position: 'last' });
    const r = await maximizeActivation(model, tokenizer.vocabulary, logit, { length: 3, ...FAST });
    assert.equal(r.sequences[r.best]!.ids[2], c);
    model.dispose();
  });

  test('without the polish pass the result is the argmax decoding itself', async () => {
    const { model, tokenizer } = tinyModel('lstm', 'char', 5, 8);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 3, position: 'last' });
    const plain = await maximizeActivation(model, tokenizer.vocabulary, target, { length: 6, ...FAST, polish: 0 });
    const polished = await maximizeActivation(model, tokenizer.vocabulary, target, { length: 6, ...FAST, polish: 8 });
    plain.sequences.forEach((s, i) => {
      assert.equal(s.text, s.decodedText);
      assert.equal(s.activation, s.decodedActivation);
      assert.equal(polished.sequences[i]!.decodedText, s.text, 'the polish starts from the same decoding');
      assert.ok(polished.sequences[i]!.activation >= s.activation);
    });
    model.dispose();
  });

  test('optimises through the embedding of word-level models and reports the ids it scored', async () => {
    const { model, tokenizer } = tinyModel('gru', 'word', 6, 8);
    assert.ok(model.architecture.embeddingSize > 0);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'every' });
    const r = await maximizeActivation(model, tokenizer.vocabulary, target, { length: 4, ...FAST });
    const rescored = scoreSequences(
      model,
      target,
      r.sequences.map((s) => Int32Array.from(s.ids)),
    );
    r.sequences.forEach((s, i) => {
      assert.equal(s.tokens.join(''), s.text);
      assert.ok(Math.abs(rescored.values[i]! - s.activation) < 1e-6);
    });
    const allowed = allowedTokens(model.vocabSize, [0]).allowed;
    const random = scoreSequences(model, target, randomSequences(200, 4, allowed, new Random(3)));
    assert.ok(r.sequences[r.best]!.activation >= Math.max(...random.values));
    model.dispose();
  });

  test('the re-scored trace is what the recorder shows for the decoded text', async () => {
    const { model, tokenizer } = tinyModel('lstm', 'char', 5, 8);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'c', neuron: 3, position: 'every' });
    const r = await maximizeActivation(model, tokenizer.vocabulary, target, { length: 8, ...FAST });
    for (const s of r.sequences) {
      const rec = await recordActivations({ model, tokenizer }, s.text, { layers: [0], components: ['c'] });
      const trace = neuronTrace(rec.layers[0]!, 'c', 3);
      s.trace.forEach((x, t) => assert.ok(Math.abs(x - trace[t]!) < 1e-5, `start ${s.start} token ${t}: ${x} vs ${trace[t]}`));
      assert.ok(Math.abs(s.activation - trace.reduce((a, b) => a + b, 0)) < 1e-4);
    }
    model.dispose();
  });

  test('is deterministic for a seed and frees every tensor', async () => {
    const { model, tokenizer } = tinyModel('gru', 'char', 2, 8);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 1, position: 'last' });
    const run = (seed: number) => maximizeActivation(model, tokenizer.vocabulary, target, { length: 5, ...FAST, seed });
    await run(1);
    const before = tf.memory().numTensors;
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    const penalised = await maximizeActivation(model, tokenizer.vocabulary, target, { length: 5, ...FAST, entropyWeight: 0.05 });
    assert.ok(penalised.sequences.every((s) => Number.isFinite(s.relaxedObjective)));
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(
      a.sequences.map((s) => [s.text, s.activation, s.decodedText, s.relaxedObjective]),
      b.sequences.map((s) => [s.text, s.activation, s.decodedText, s.relaxedObjective]),
    );
    // Another seed starts elsewhere (the polished texts may still meet at the same optimum).
    assert.notDeepEqual(
      a.sequences.map((s) => s.relaxedObjective),
      c.sequences.map((s) => s.relaxedObjective),
    );
    model.dispose();
  });

  test('reports progress, stops on cancel without leaking, and rejects bad settings', async () => {
    const { model, tokenizer } = detectorModel();
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      maximizeActivation(model, tokenizer.vocabulary, target, {
        length: 4,
        ...FAST,
        signal: controller.signal,
        onProgress: (step) => {
          seen.push(step);
          if (step === 15) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.equal(seen.at(-1), 15, 'no step runs after the cancel');
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(maximizeActivation(model, tokenizer.vocabulary, target, { length: 0 }), /length must be a positive integer/);
    assert.throws(
      () => resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 2, position: 'last' }),
      /Neuron 2 does not exist: layer 0 has 2 neurons/,
    );
    assert.throws(
      () => resolveTarget(model, { kind: 'neuron', layer: 1, component: 'h', neuron: 0, position: 'last' }),
      /Layer 1 does not exist/,
    );
    assert.throws(() => resolveTarget(model, { kind: 'logit', token: 99, position: 'last' }), /Token id 99 does not exist/);
    assert.throws(
      () => resolveTarget(model, { kind: 'neuron', layer: 0, component: 'forget', neuron: 0, position: 'last' }),
      /Unknown component "forget"/,
    );
    model.dispose();
  });

  test('corpus snippets: the best window found by the scan is the brute-force best, and maximisation matches or beats it', async () => {
    const { model, tokenizer } = tinyModel('lstm', 'char', 7, 8);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 2, position: 'last' });
    const text = SMALL_TEXT.slice(0, 400);
    const length = 5;
    const snippets = await topCorpusSnippets({ model, tokenizer }, target, text, length, { top: 3, candidates: 400 });
    const { ids } = tokenizer.encode(text);
    const all = scoreSequences(
      model,
      target,
      Array.from({ length: ids.length - length + 1 }, (_, s) => ids.slice(s, s + length)),
    );
    assert.equal(snippets.length, 3);
    assert.ok(Math.abs(snippets[0]!.activation - Math.max(...all.values)) < 1e-6);
    assert.ok(snippets[0]!.activation >= snippets[1]!.activation && snippets[1]!.activation >= snippets[2]!.activation);
    assert.equal(snippets[0]!.text, text.slice(snippets[0]!.token, snippets[0]!.token + length));
    const r = await maximizeActivation(model, tokenizer.vocabulary, target, { length, starts: 4, steps: 100, learningRate: 0.2 });
    assert.ok(
      r.sequences[r.best]!.activation >= snippets[0]!.activation - 0.02,
      `${r.sequences[r.best]!.activation} vs ${snippets[0]!.activation}`,
    );
    await assert.rejects(topCorpusSnippets({ model, tokenizer }, target, 'ab', 5), /fewer than the snippet length 5/);
    model.dispose();
  });
});

describe('neuron-lens maximize', () => {
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('--json reports every start, the best, and corpus snippets; bad targets are one-line errors', async () => {
    const dir = tempDir();
    const detector = detectorModel();
    await saveModel(dir, detector);
    detector.model.dispose();
    const corpus = path.join(tempDir(), 'corpus.txt');
    fs.writeFileSync(corpus, 'abcabdcceffgcch'.repeat(4));
    const r = await cli(
      'maximize',
      '--model',
      dir,
      '--neuron',
      '0',
      '--length',
      '4',
      '--starts',
      '3',
      '--steps',
      '40',
      '--lr',
      '0.2',
      '--corpus',
      corpus,
      '--top',
      '2',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.sequences.length, 3);
    assert.equal(json.length, 4);
    const best = json.sequences[json.best];
    assert.equal(best.text.at(-1), 'c');
    assert.equal(json.snippets.length, 2);
    assert.ok(best.activation >= json.snippets[0].activation);
    const text = await cli('maximize', '--model', dir, '--neuron', '0', '--length', '3', '--starts', '2', '--steps', '20');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /layer 0 h neuron 0 \(last token\): 2 starts × 20 steps, length 3/);
    const bad = await cli('maximize', '--model', dir, '--neuron', '7');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Neuron 7 does not exist: layer 0 has 2 neurons/);
    const neither = await cli('maximize', '--model', dir);
    assert.match(neither.err, /either --neuron N or --logit TOKEN/);
    const unknown = await cli('maximize', '--model', dir, '--logit', 'zz');
    assert.match(unknown.err, /"zz" is not in the model's vocabulary/);
  });
});
