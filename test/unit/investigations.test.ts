/**
 * The worker's investigation requests as the editor sends them: top contexts over files, saliency
 * at a position, interventions, pattern search over the document and other files, neuron clusters.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { EngineSession } from '../../src/engine/engineSession';
import { NeuronLensError } from '../../src/engine/errors';
import { makeArchitecture } from '../../src/engine/architecture';
import { LanguageModel } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { foolingReport } from '../../src/extension/foolingReport';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { tokenize } from '../../src/engine/tokenizer';
import { Vocabulary } from '../../src/engine/vocabulary';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const DOC = 'file:///doc.txt';
const UNITS = 8;
let session: EngineSession;
let folder: string;

before(async () => {
  await initBackend('wasm');
  const m = tinyModel('lstm', 'char', 5, UNITS, 1);
  const dir = tempDir();
  await saveModel(dir, m);
  m.model.dispose();
  session = new EngineSession();
  await session.loadModel({ dir });
  await session.analyze({ docId: DOC, version: 1, text: SMALL_TEXT, maxTokens: 100_000, layer: 0, component: 'h' });
  folder = tempDir();
  fs.writeFileSync(path.join(folder, 'a.txt'), 'the cat sat on the mat.\n'.repeat(5));
  fs.writeFileSync(path.join(folder, 'b.txt'), 'a log, a dog and a cat.\n'.repeat(5));
});

after(async () => {
  await session.dispose();
});

describe('worker investigations', () => {
  it('top contexts: most and least active places across files, each named by its path, extremes ordered', async () => {
    const files = [path.join(folder, 'a.txt'), path.join(folder, 'b.txt')];
    const r = await session.topContexts({
      layer: 0,
      component: 'h',
      neuron: 2,
      corpus: { kind: 'files', paths: files },
      top: 3,
      window: 5,
    });
    assert.equal(r.tokens, 2 * 'the cat sat on the mat.\n'.length * 5);
    assert.equal(r.most.length, 3);
    assert.equal(r.least.length, 3);
    for (const c of [...r.most, ...r.least]) {
      assert.ok(files.includes(c.file), c.file);
      const text = fs.readFileSync(c.file, 'utf8');
      assert.equal(text.slice(c.start, c.end), c.token);
      assert.equal(c.snippet.slice(c.markStart, c.markEnd), c.token);
    }
    const most = r.most.map((c) => c.value);
    const least = r.least.map((c) => c.value);
    assert.deepEqual(
      most,
      [...most].sort((a, b) => b - a),
    );
    assert.deepEqual(
      least,
      [...least].sort((a, b) => a - b),
    );
    assert.ok(most[0]! > least[0]!);
    await assert.rejects(
      session.topContexts({ layer: 0, component: 'h', neuron: UNITS, corpus: { kind: 'files', paths: files }, top: 3, window: 5 }),
      /Neuron 8 does not exist: layer 0 has 8 neurons/,
    );
  });

  it('saliency: integrated gradients are complete; the next-token target explains the tokens before the last', async () => {
    const text = 'the cat sat on the mat';
    const neuron = await session.saliency({
      text,
      offset: text.length,
      target: { kind: 'neuron', layer: 0, component: 'h', neuron: 1 },
      method: 'ig',
      steps: 64,
    });
    assert.equal(neuron.scores.length, text.length);
    assert.equal(neuron.ends[neuron.ends.length - 1], text.length);
    const sum = neuron.scores.reduce((a, b) => a + b, 0);
    const change = neuron.targetValue - neuron.baselineValue!;
    assert.ok(Math.abs(sum - change) <= 0.05 * Math.abs(change) + 1e-6, `Σ ${sum} vs ${change}`);
    const next = await session.saliency({ text, offset: text.length - 1, target: { kind: 'next-token' }, method: 'grad', steps: 1 });
    assert.equal(next.scores.length, text.length - 1, 'the last token is what is predicted, not an input');
    assert.equal(next.target, 'the next-token logit of "t"');
    assert.ok(
      next.scores.every((v) => v >= 0),
      'gradient norms are non-negative',
    );
  });

  it('intervention: zeroing every unit changes the loss and the prediction; the model is untouched afterwards', async () => {
    const params = {
      text: SMALL_TEXT.slice(0, 200),
      layer: 0,
      component: 'h' as const,
      units: Array.from({ length: UNITS }, (_, u) => u),
      mode: 'zero' as const,
      where: 'all' as const,
      offset: 100,
      top: 3,
      generateLength: 20,
      seed: 4,
    };
    const before = await session.saliency({ text: 'the cat', offset: 6, target: { kind: 'next-token' }, method: 'grad', steps: 1 });
    const r = await session.intervene(params);
    assert.notEqual(r.loss.intervenedBits, r.loss.baselineBits);
    assert.equal(r.loss.predicted, 199);
    assert.ok(r.next.klBits > 0);
    assert.equal(r.next.before.length, 3);
    assert.equal(r.generation.baseline.length > 0 && r.generation.intervened.length > 0, true);
    const again = await session.intervene(params);
    assert.deepEqual(again, r, 'deterministic for a seed');
    const after = await session.saliency({ text: 'the cat', offset: 6, target: { kind: 'next-token' }, method: 'grad', steps: 1 });
    assert.deepEqual(after.scores, before.scores, 'weights unchanged');
    const mean = await session.intervene({ ...params, mode: 'mean', where: { feature: ' ' } });
    assert.ok(Number.isFinite(mean.loss.intervenedBits));
    await assert.rejects(session.intervene({ ...params, component: 'f' as 'h' }), /component must be one of h, c/);
  });

  it('pattern search: a repeated span is found in the document and in other files, never the query itself', async () => {
    const line = 'the cat sat on the mat. ';
    const start = SMALL_TEXT.indexOf('the cat');
    const r = await session.searchPattern({
      docId: DOC,
      start,
      end: start + 7,
      propose: 3,
      threshold: 0,
      top: 5,
      paths: [path.join(folder, 'a.txt')],
    });
    assert.ok(r.neurons.length > 0 && r.neurons.length <= 3);
    assert.equal(r.matches.length, 5);
    for (const m of r.matches) {
      assert.ok(m.score > 0 && m.score <= 1);
      assert.ok(m.path === undefined ? m.start !== start : m.path.endsWith('a.txt'));
    }
    const best = r.matches[0]!;
    const text = best.path ? fs.readFileSync(best.path, 'utf8') : SMALL_TEXT;
    assert.equal(best.score, 1);
    assert.equal(text.slice(best.start, best.end), line.slice(0, 7));
  });

  it('clusters: every neuron in exactly one cluster, one factor value per analysed token', async () => {
    const r = await session.clusterNeurons({ docId: DOC, k: 3, method: 'kmeans', seed: 1, features: [' '] });
    assert.equal(r.clusters.length, 3);
    const all = r.clusters.flatMap((c) => c.neurons).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: UNITS }, (_, n) => n),
    );
    for (const c of r.clusters) {
      assert.equal(c.factor.length, SMALL_TEXT.length);
      assert.ok(c.label.length > 0);
    }
    assert.equal(r.starts.length, SMALL_TEXT.length);
    await assert.rejects(session.clusterNeurons({ docId: DOC, k: 99, method: 'kmeans', seed: 1, features: [] }), NeuronLensError);
  });

  it('classify: a classifier gives one probability per class; a language model is refused with the reason', async () => {
    await assert.rejects(session.classify({ text: 'the cat' }), /The active model is a language model, not a classifier/);
    await assert.rejects(session.fool({ text: 'the cat', maxFlips: 2 }), /fooling inputs change what a classifier predicts/);
    const vocabulary = Vocabulary.build(tokenize(SMALL_TEXT, 'word').map((t) => t.text));
    const arch = makeArchitecture({
      cell: 'gru',
      level: 'word',
      vocabSize: vocabulary.size,
      hiddenSize: 6,
      embeddingSize: 4,
      classifier: { classes: ['cats', 'dogs'], pooling: 'mean' },
    });
    const model = LanguageModel.initialize(arch, 7);
    const dir = tempDir();
    await saveModel(dir, { model, tokenizer: new ModelTokenizer('word', vocabulary) });
    model.dispose();
    const other = new EngineSession();
    try {
      const summary = await other.loadModel({ dir });
      assert.deepEqual(summary.classes, ['cats', 'dogs']);
      const r = await other.classify({ text: 'the cat sat on the mat' });
      assert.deepEqual(
        r.probabilities.map((p) => p.label),
        ['cats', 'dogs'],
      );
      assert.ok(Math.abs(r.probabilities[0]!.probability + r.probabilities[1]!.probability - 1) < 1e-5);
      assert.equal(r.predicted, r.probabilities[0]!.probability >= r.probabilities[1]!.probability ? 'cats' : 'dogs');
      assert.equal(r.tokens, 11);
      const text = 'the cat sat on the mat';
      const fooled = await other.fool({ text, maxFlips: 3 });
      assert.deepEqual(fooled.classes, ['cats', 'dogs']);
      assert.ok(fooled.steps.length <= 3);
      assert.equal(fooled.flipped, fooled.predicted !== fooled.originalClass);
      const again = await other.classify({ text: fooled.text });
      assert.deepEqual(
        again.probabilities.map((p) => p.probability.toFixed(5)),
        fooled.probabilitiesAfter.map((p) => p.toFixed(5)),
        'the reported probabilities are the edited text’s',
      );
      const report = foolingReport(fooled);
      assert.match(
        report,
        new RegExp(`\\| before \\| ${fooled.probabilitiesBefore.map((p) => `${(100 * p).toFixed(1)} %`).join(' \\| ')} \\|`),
      );
      assert.equal(report.split('\n').filter((l) => /^\| \d+: /.test(l)).length, fooled.steps.length);
    } finally {
      await other.dispose();
    }
  });

  it('maximize: every start is re-scored with the real model; the best is the highest', async () => {
    const r = await session.maximize({ layer: 0, component: 'h', neuron: 3, position: 'last', length: 6, starts: 3, steps: 30, seed: 2 });
    assert.equal(r.sequences.length, 3);
    for (const q of r.sequences) {
      assert.equal(q.tokens.length, 6);
      assert.equal(q.trace.length, 6);
      assert.equal(q.activation, q.trace[5]);
    }
    assert.equal(r.sequences[r.best]!.activation, Math.max(...r.sequences.map((q) => q.activation)));
    await assert.rejects(
      session.maximize({ layer: 0, component: 'h', neuron: 3, position: 'last', length: 6, starts: 3, steps: 5000, seed: 2 }),
      /steps must be an integer from 1 to 1000/,
    );
  });

  it('word vectors: trained into a file, then neighbours and analogies from it; unknown words named', async () => {
    const out = path.join(tempDir(), 'vectors.txt');
    const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(60);
    const trained = await session.trainWordVectors({ corpus: { kind: 'text', name: 'pets', text }, dim: 8, epochs: 2, out });
    assert.equal(trained.file, out);
    assert.equal(trained.dim, 8);
    assert.deepEqual(
      trained.epochs.map((e) => e.epoch),
      [1, 2],
    );
    assert.match(fs.readFileSync(out, 'utf8'), new RegExp(`^${trained.words} 8\\n`));
    const near = await session.wordNeighbours({ file: out, word: 'cat', top: 3 });
    assert.equal(near.neighbours.length, 3);
    assert.ok(!near.neighbours.some((n) => n.word === 'cat'));
    const sims = near.neighbours.map((n) => n.similarity);
    assert.deepEqual(
      sims,
      [...sims].sort((a, b) => b - a),
    );
    const analogy = await session.wordNeighbours({ file: out, analogy: ['cat', 'mat', 'dog'], top: 2 });
    assert.ok(!analogy.neighbours.some((n) => ['cat', 'mat', 'dog'].includes(n.word)));
    await assert.rejects(session.wordNeighbours({ file: out, word: 'whale', top: 3 }), /whale/);
    await assert.rejects(session.wordNeighbours({ file: 'relative.txt', word: 'cat', top: 3 }), /must be an absolute path/);
  });

  it('trainClassifier: trains on a labelled CSV, saves, and makes the classifier the active model', async () => {
    const dir = tempDir();
    const csv = path.join(dir, 'pets.csv');
    const rows = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? `"the dog sat on the log ${i}",dogs` : `"the cat sat on the mat ${i}",cats`,
    );
    fs.writeFileSync(csv, ['text,label', ...rows].join('\n'));
    const other = new EngineSession();
    try {
      const model = await other.trainClassifier({ data: csv, out: path.join(dir, 'model'), epochs: 2 });
      assert.deepEqual(model.classes, ['cats', 'dogs']);
      assert.equal(model.dir, path.join(dir, 'model'));
      assert.ok(model.validationAccuracy !== undefined && model.validationAccuracy >= 0 && model.validationAccuracy <= 1);
      const r = await other.classify({ text: 'the cat sat' });
      assert.equal(r.probabilities.length, 2);
    } finally {
      await other.dispose();
    }
  });

  it('keeps the tensor count stable across repeated investigations', async () => {
    const run = async () => {
      await session.saliency({
        text: 'the cat sat',
        offset: 11,
        target: { kind: 'neuron', layer: 0, component: 'c', neuron: 0 },
        method: 'ig',
        steps: 8,
      });
      await session.clusterNeurons({ docId: DOC, k: 2, method: 'nmf', seed: 1, features: [] });
    };
    await run();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await run();
    assert.equal(tf.memory().numTensors, tensors);
  });
});
