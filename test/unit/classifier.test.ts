import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ClassifierPooling, describeArchitecture, makeArchitecture, validateArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { padBatch, pooledLogits, poolingWeights } from '../../src/engine/classifier/classifierBatch';
import { accuracy, classificationReport, confusionMatrix } from '../../src/engine/classifier/classifierMetrics';
import { runClassifierTraining } from '../../src/engine/classifier/classifierRun';
import { type EncodedExamples, initEmbeddingFromVectors, trainClassifier } from '../../src/engine/classifier/classifierTraining';
import { classifyText, evaluateClassifier } from '../../src/engine/classifier/classify';
import { NeuronLensError } from '../../src/engine/errors';
import { generate } from '../../src/engine/generator';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { loadModel, readModelInfo } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { Random } from '../../src/engine/random';
import { recordActivations } from '../../src/engine/recorder';
import { Vocabulary } from '../../src/engine/vocabulary';
import { main } from '../../src/cli/main';
import { tempDir } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const FILLER = ['the', 'film', 'plot', 'was', 'a', 'and', 'very', 'it', 'actor', 'scene', 'quite', 'story'];

/** Texts of 3–8 filler words with "good" or "bad" at a random place: the label is which one. */
function sentimentTexts(n: number, seed: number): { text: string; label: string }[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 === 0 ? 'pos' : 'neg';
    const words = Array.from({ length: 3 + rng.int(6) }, () => FILLER[rng.int(FILLER.length)]!);
    words.splice(rng.int(words.length + 1), 0, label === 'pos' ? 'good' : 'bad');
    return { text: words.join(' '), label };
  });
}

function writeCsv(dir: string, rows: { text: string; label: string }[]): string {
  const file = path.join(dir, 'reviews.csv');
  fs.writeFileSync(file, ['text,label', ...rows.map((r) => `"${r.text}",${r.label}`)].join('\n'));
  return file;
}

const FAST = {
  pooling: 'last' as const,
  hiddenSize: 12,
  embeddingSize: 8,
  maxTokens: 24,
  epochs: 10,
  batch: 16,
  learningRate: 0.02,
  seed: 3,
};

function tinyClassifier(pooling: ClassifierPooling = 'last', vocabSize = 20, embeddingSize = 4) {
  return LanguageModel.initialize(
    makeArchitecture({
      cell: 'gru',
      level: 'word',
      vocabSize,
      hiddenSize: 5,
      embeddingSize,
      classifier: { classes: ['x', 'y', 'z'], pooling },
    }),
    2,
  );
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), colour: false }, out, err };
}

describe('classifier metrics (hand-worked)', () => {
  // true 0,0,0,1,1,2 predicted 0,1,0,1,2,2
  const actual = [0, 0, 0, 1, 1, 2];
  const predicted = [0, 1, 0, 1, 2, 2];

  test('confusion matrix rows are true classes, columns predictions', () => {
    assert.deepEqual(confusionMatrix(actual, predicted, 3), [
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    assert.equal(accuracy(confusionMatrix(actual, predicted, 3)), 4 / 6);
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /out of range/);
  });

  test('precision, recall, F1, support and macro F1', () => {
    const r = classificationReport(actual, predicted, ['a', 'b', 'c']);
    const close = (x: number, y: number): void => assert.ok(Math.abs(x - y) < 1e-12, `${x} vs ${y}`);
    const expected = [
      { precision: 1, recall: 2 / 3, f1: 0.8, support: 3 },
      { precision: 1 / 2, recall: 1 / 2, f1: 0.5, support: 2 },
      { precision: 1 / 2, recall: 1, f1: 2 / 3, support: 1 },
    ];
    r.classes.forEach((c, i) => {
      close(c.precision, expected[i]!.precision);
      close(c.recall, expected[i]!.recall);
      close(c.f1, expected[i]!.f1);
      assert.equal(c.support, expected[i]!.support);
    });
    close(r.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
    assert.equal(r.examples, 6);
  });

  test('a class never predicted has precision 0, not NaN', () => {
    const r = classificationReport([0, 1, 1], [0, 0, 0], ['a', 'b']);
    assert.deepEqual(
      r.classes.map((c) => [c.precision, c.recall, c.f1]),
      [
        [1 / 3, 1, 0.5],
        [0, 0, 0],
      ],
    );
  });
});

describe('classifier architecture', () => {
  test('the head is sized by the classes; the body is a language model’s', () => {
    const arch = makeArchitecture({
      cell: 'lstm',
      level: 'word',
      vocabSize: 30,
      hiddenSize: 6,
      embeddingSize: 4,
      classifier: { classes: ['ham', 'spam'] },
    });
    assert.equal(arch.task, 'classifier');
    const specs = Object.fromEntries(modelWeightSpecs(arch).map((s) => [s.name, s.shape]));
    assert.deepEqual(specs['output/kernel'], [6, 2]);
    assert.deepEqual(specs['output/bias'], [2]);
    const lm = makeArchitecture({ cell: 'lstm', level: 'word', vocabSize: 30, hiddenSize: 6, embeddingSize: 4 });
    const lmSpecs = modelWeightSpecs(lm);
    assert.deepEqual(
      lmSpecs.filter((s) => !s.name.startsWith('output/')),
      modelWeightSpecs(arch).filter((s) => !s.name.startsWith('output/')),
    );
    assert.match(describeArchitecture(arch), /classifier over 2 classes \(ham, spam\), averaged over tokens, first 128 tokens/);
  });

  test('bad heads are refused with a clear message', () => {
    const base = makeArchitecture({ cell: 'gru', level: 'word', vocabSize: 10, hiddenSize: 4, classifier: { classes: ['a', 'b'] } });
    const bad = (patch: Record<string, unknown>, pattern: RegExp): void =>
      assert.throws(
        () => validateArchitecture({ ...base, ...patch }),
        (e: unknown) => e instanceof NeuronLensError && pattern.test(e.message),
      );
    bad({ classes: ['a'] }, /classes must be a list of 2 to 1000 class names/);
    bad({ classes: ['a', 'a'] }, /class "a" appears twice/);
    bad({ classes: ['a', ''] }, /class 1 must be a non-empty name/);
    bad({ pooling: 'max' }, /unknown pooling "max" \(expected last or mean\)/);
    bad({ maxTokens: 0 }, /maxTokens must be an integer in \[1, 100000\]/);
    bad({ task: 'regression' }, /unknown task "regression" \(expected language-model or classifier\)/);
  });
});

describe('padded batches', () => {
  for (const pooling of ['last', 'mean'] as const) {
    test(`${pooling} pooling: a text in a right-padded batch scores exactly as alone`, () => {
      const model = tinyClassifier(pooling);
      const texts = [Int32Array.from([3, 4, 5, 6, 7]), Int32Array.from([8]), Int32Array.from([9, 1, 2])];
      const batched = pooledLogits(model, padBatch(texts));
      const together = batched.arraySync();
      texts.forEach((t, i) => {
        const alone = pooledLogits(model, padBatch([t]));
        const a = alone.arraySync()[0]!;
        a.forEach((x, c) => assert.ok(Math.abs(x - together[i]![c]!) < 1e-5, `text ${i} class ${c}: ${x} vs ${together[i]![c]}`));
        alone.dispose();
      });
      batched.dispose();
      model.dispose();
    });
  }

  test('pooling weights: 1 at the last real token, or 1/length over the real tokens', () => {
    const b = padBatch([Int32Array.from([1, 2, 3]), Int32Array.from([4])]);
    assert.deepEqual([...poolingWeights(b, 'last')], [0, 0, 1, 1, 0, 0]);
    assert.deepEqual(
      [...poolingWeights(b, 'mean')].map((x) => Math.round(x * 1000) / 1000),
      [0.333, 0.333, 0.333, 1, 0, 0],
    );
  });
});

describe('training', () => {
  test('learns "good" vs "bad" to ~100% validation accuracy from a CSV; saved folder round-trips', async () => {
    const dir = tempDir();
    const csv = writeCsv(dir, sentimentTexts(200, 1));
    const out = path.join(dir, 'model');
    const before = tf.memory().numTensors;
    const run = await runClassifierTraining({ data: csv, cell: 'gru', validation: 0.25, out, ...FAST });
    assert.deepEqual(run.classes, ['neg', 'pos']);
    assert.equal(run.validationExamples, 50);
    const v = run.result.validation!;
    assert.ok(v.accuracy >= 0.95, `validation accuracy ${v.accuracy}`);
    assert.equal(
      v.confusion.flat().reduce((a, b) => a + b, 0),
      50,
    );
    const first = run.result.history[0]!;
    const last = run.result.history.at(-1)!;
    assert.ok(last.trainLoss < first.trainLoss / 3, `train loss ${first.trainLoss} → ${last.trainLoss}`);

    const text = 'the plot was good and the actor very';
    const fresh = await classifyText(run, text);
    assert.equal(fresh.predicted, 'pos');
    run.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors after training');

    const info = readModelInfo(out);
    assert.deepEqual((info.modelTopology.architecture as { classes: string[] }).classes, ['neg', 'pos']);
    const loaded = await loadModel(out);
    const again = await classifyText(loaded, text);
    assert.deepEqual(again.probabilities, fresh.probabilities);
    assert.equal((loaded.training as unknown as { validationAccuracy: number }).validationAccuracy, v.accuracy);
    const report = await evaluateClassifier(loaded, [
      { text: 'good film', label: 'pos', source: 'a' },
      { text: 'bad film', label: 'neg', source: 'b' },
    ]);
    assert.equal(report.accuracy, 1);
    await assert.rejects(
      evaluateClassifier(loaded, [{ text: 'meh', label: 'neutral', source: 'x.csv:9' }]),
      /x\.csv:9: unknown label "neutral"/,
    );
    loaded.model.dispose();
  });

  test('a classifier’s neurons record through the existing recorder; no tensors leak across runs', async () => {
    const vocabulary = Vocabulary.build(['good', 'bad', ' ', 'film']);
    const tokenizer = new ModelTokenizer('word', vocabulary);
    const model = LanguageModel.initialize(
      makeArchitecture({
        cell: 'lstm',
        level: 'word',
        vocabSize: vocabulary.size,
        hiddenSize: 6,
        embeddingSize: 4,
        classifier: { classes: ['neg', 'pos'] },
      }),
      5,
    );
    const loaded = { model, tokenizer };
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await classifyText(loaded, 'good film bad film', { record: { layers: [0], components: ['h', 'c'] } });
      assert.equal(c.tokens.length, 7);
      assert.equal(c.recording!.layers[0]!.components.h!.length, 7 * 6);
      const direct = await recordActivations(loaded, 'good film bad film', { layers: [0], components: ['h'] });
      assert.deepEqual(c.recording!.layers[0]!.components.h, direct.layers[0]!.components.h);
      const sum = c.probabilities.reduce((s, p) => s + p.probability, 0);
      assert.ok(Math.abs(sum - 1) < 1e-6);
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor counts ${counts}`);
    await assert.rejects(classifyText(loaded, '  \n'), /The text is empty/);
    await assert.rejects(generate(loaded, { length: 3 }), /text classifier: it predicts classes, not text/);
    model.dispose();
  });

  test('texts are cut to maxTokens; cancellation keeps the weights; a NaN loss stops the run with a message', async () => {
    const model = tinyClassifier('last', 20, 4);
    const data: EncodedExamples = { ids: [Int32Array.from([1, 2]), Int32Array.from([3])], labels: Int32Array.from([0, 1]) };
    const controller = new AbortController();
    controller.abort();
    const r = await trainClassifier(model, { train: data }, { epochs: 2, signal: controller.signal });
    assert.equal(r.cancelled, true);
    assert.equal(r.steps, 0);
    model.weight('output/bias').assign(tf.tensor1d([Number.NaN, 0, 0]));
    const before = tf.memory().numTensors;
    await assert.rejects(trainClassifier(model, { train: data }, { epochs: 1 }), (e: unknown) => {
      assert.ok(e instanceof NeuronLensError && e.code === 'diverged');
      assert.match(e.message, /diverged at step 1: the loss became NaN/);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'tensors after a diverged run');
    model.dispose();
  });

  test('word vectors initialise the embedding (found, lower-cased, missing); --freeze keeps it', async () => {
    const vocabulary = Vocabulary.build(['Good', 'bad', 'film', 'zzz']);
    const model = LanguageModel.initialize(
      makeArchitecture({
        cell: 'rnn',
        level: 'word',
        vocabSize: vocabulary.size,
        hiddenSize: 4,
        embeddingSize: 3,
        classifier: { classes: ['neg', 'pos'] },
      }),
      1,
    );
    const vectors = { words: ['good', 'bad', 'film'], dim: 3, vectors: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
    const report = initEmbeddingFromVectors(model, vocabulary, vectors, 4);
    assert.deepEqual(report, { found: 3, missing: 2, missingExamples: ['<unk>', 'zzz'] });
    const rows = model.weight('embedding').arraySync() as number[][];
    assert.deepEqual(rows[vocabulary.id('Good')], [1, 0, 0]);
    assert.deepEqual(rows[vocabulary.id('film')], [0, 0, 1]);
    assert.ok(rows[vocabulary.id('zzz')]!.every((x) => Math.abs(x) < 0.3 && x !== 0));
    const data: EncodedExamples = {
      ids: [Int32Array.from([vocabulary.id('Good')]), Int32Array.from([vocabulary.id('bad')])],
      labels: Int32Array.from([1, 0]),
    };
    const kernel = model.weight('layers/0/kernel').dataSync().slice();
    await trainClassifier(model, { train: data }, { epochs: 3, freezeEmbedding: true });
    assert.deepEqual(model.weight('embedding').arraySync(), rows);
    assert.notDeepEqual(model.weight('layers/0/kernel').dataSync(), kernel);
    assert.throws(
      () => initEmbeddingFromVectors(model, vocabulary, { ...vectors, dim: 1, vectors: new Float32Array(3) }, 1),
      /3 dimensions|1 dimensions/,
    );
    model.dispose();
  });
});

describe('CLI', () => {
  test('train-classifier prints the scores; classify gives the probabilities; bad input is one line', async () => {
    const dir = tempDir();
    const csv = writeCsv(dir, sentimentTexts(160, 2));
    const out = path.join(dir, 'model');
    const t = capture();
    const code = await main(
      [
        'train-classifier',
        '--data',
        csv,
        '--out',
        out,
        '--cell',
        'gru',
        '--hidden',
        '12',
        '--embedding-size',
        '8',
        '--epochs',
        '10',
        '--batch',
        '16',
        '--lr',
        '0.02',
        '--backend',
        'wasm',
      ],
      t.io,
    );
    assert.equal(code, 0, t.err.join('\n'));
    const text = t.out.join('\n');
    assert.match(text, /Trained 10 epochs \(\d+ steps\) →/);
    assert.match(text, /accuracy \d+\.\d% on 32 examples, macro F1/);
    assert.match(text, /class\s+precision\s+recall\s+F1\s+support/);
    assert.match(text, /confusion matrix \(rows: true class, columns: predicted\)\n\s+neg\s+pos\nneg\s+\d+\s+\d+\npos\s+\d+\s+\d+/);
    assert.match(t.err.join('\n'), /epoch 10: train loss \d\.\d+ accuracy/);

    const c = capture();
    assert.equal(
      await main(['classify', '--model', out, '--text', 'a very good story', '--json', '--backend', 'wasm'], c.io),
      0,
      c.err.join('\n'),
    );
    const json = JSON.parse(c.out[0]!) as { predicted: string; probabilities: { label: string; probability: number }[] };
    assert.deepEqual(
      json.probabilities.map((p) => p.label),
      ['neg', 'pos'],
    );
    assert.equal(json.predicted, 'pos');

    const i = capture();
    assert.equal(await main(['info', '--model', out, '--backend', 'wasm'], i.io), 0, i.err.join('\n'));
    assert.match(
      i.out.join('\n'),
      /GRU 12 .*classifier over 2 classes \(neg, pos\), averaged over tokens, first 128 tokens\n[^]*validation accuracy \d+\.\d%/,
    );

    const e = capture();
    assert.equal(await main(['classify', '--model', out, '--backend', 'wasm'], e.io), 1);
    assert.match(e.err.join('\n'), /Give exactly one of --text, --file or --data/);
    const single = path.join(dir, 'single.csv');
    fs.writeFileSync(single, 'text,label\na,x\nb,x\n');
    const s = capture();
    assert.equal(await main(['train-classifier', '--data', single, '--out', path.join(dir, 'm2'), '--backend', 'wasm'], s.io), 1);
    assert.match(s.err.join('\n'), /only one class "x"/);
    assert.ok(!fs.existsSync(path.join(dir, 'm2')), 'nothing written for bad data');
  });
});
