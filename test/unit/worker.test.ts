import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { AnalyzeParams, TrainParams, TrainProgressData } from '../../src/shared/protocol';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { EngineSession, MAX_EDITOR_GENERATE_LENGTH } from '../../src/engine/engineSession';
import { MAX_SPECTRUM_TOKENS } from '../../src/engine/panelAnalyses';
import { CancelledError, NeuronLensError } from '../../src/engine/errors';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { tokenize } from '../../src/engine/tokenizer';
import { trainingCorpus } from '../../src/engine/trainingRequest';
import { Vocabulary } from '../../src/engine/vocabulary';
import { EngineClient, EngineError } from '../../src/extension/engineClient';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const SPACE_NEURON = 3;

/**
 * A char RNN whose neurons can be predicted: no recurrence, so h = tanh(row of the input kernel
 * for the current character). Neuron 3 is tanh(3) on spaces and small elsewhere; the others vary
 * a little with every character.
 */
async function craftedModelDir(): Promise<string> {
  const vocabulary = Vocabulary.build(tokenize(SMALL_TEXT, 'char').map((t) => t.text));
  const arch = makeArchitecture({ cell: 'rnn', level: 'char', vocabSize: vocabulary.size, hiddenSize: 4 });
  const weights = new Map<string, tf.Tensor>();
  for (const spec of modelWeightSpecs(arch)) {
    const values = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.name === 'layers/0/kernel') {
      for (let id = 0; id < vocabulary.size; id++) {
        values[id * 4 + 0] = 0.5 * Math.sin(id);
        values[id * 4 + 1] = 0.3 * Math.cos(id);
        values[id * 4 + 2] = 0.2 * Math.sin(3 * id);
        values[id * 4 + SPACE_NEURON] = id === vocabulary.id(' ') ? 3 : 0.1 * Math.sin(7 * id);
      }
    }
    weights.set(spec.name, tf.tensor(values, spec.shape));
  }
  const model = new LanguageModel(arch, weights);
  tf.dispose([...weights.values()]);
  const dir = tempDir();
  await saveModel(dir, { model, tokenizer: new ModelTokenizer('char', vocabulary) });
  model.dispose();
  return dir;
}

async function tinyModelDir(seed: number): Promise<string> {
  const m = tinyModel('lstm', 'char', seed, 8, 1);
  const dir = tempDir();
  await saveModel(dir, m);
  m.model.dispose();
  return dir;
}

function analyzeParams(text: string, extra: Partial<AnalyzeParams> = {}): AnalyzeParams {
  return { docId: 'file:///a.txt', version: 1, text, layer: 0, component: 'h', maxTokens: 10_000, ...extra };
}

function isNoModel(e: unknown): boolean {
  return (
    e instanceof NeuronLensError && e.code === 'no-model' && e.message === 'No model is loaded: train a model or load a model folder first'
  );
}

describe('engine session', () => {
  let crafted = '';
  before(async () => {
    crafted = await craftedModelDir();
  });

  test('without a model, model-dependent requests say how to get one', async () => {
    const s = new EngineSession();
    assert.equal(await s.activeModel(), null);
    await assert.rejects(s.analyze(analyzeParams('abc')), isNoModel);
    await assert.rejects(s.generate({ prime: 'a', length: 3, temperature: 1, seed: 1 }), isNoModel);
    await assert.rejects(s.saveModel({ dir: tempDir() }), isNoModel);
    await assert.rejects(
      s.neuronValues({ docId: 'file:///a.txt', neuron: 0 }),
      (e: unknown) =>
        e instanceof NeuronLensError && e.code === 'not-found' && e.message === 'file:///a.txt has not been analysed: analyse it first',
    );
  });

  test('on a crafted model: values, statistics, hover neurons and the ranking find the space neuron', async () => {
    const s = new EngineSession();
    const loaded = await s.loadModel({ dir: crafted });
    assert.equal(loaded.cell, 'rnn');
    assert.equal(loaded.dir, crafted);
    assert.deepEqual(await s.activeModel(), loaded);
    const text = 'the cat sat on the mat.\r\nthe dog\tsat on the log. 👍';
    const r = await s.analyze(analyzeParams(text));
    assert.equal(r.modelId, loaded.modelId);
    assert.equal(r.units, 4);
    assert.equal(r.computed, [...text].length);

    const spaceAt = text.indexOf(' ');
    const values = await s.neuronValues({ docId: 'file:///a.txt', neuron: SPACE_NEURON });
    assert.equal(values.modelId, loaded.modelId);
    assert.equal(values.range, 'signed');
    assert.equal(values.values.length, r.computed);
    assert.equal(values.values[spaceAt], Math.fround(Math.tanh(3)));
    assert.equal(values.stats.max, Math.fround(Math.tanh(3)));
    assert.equal(values.stats.topTokens[0], ' ');
    assert.equal(values.robustScale, Math.fround(Math.tanh(3)));

    const hover = await s.tokenNeurons({ docId: 'file:///a.txt', offset: spaceAt, k: 2 });
    assert.deepEqual(hover?.token, { text: ' ', start: spaceAt, end: spaceAt + 1, index: spaceAt });
    assert.equal(hover?.top[0]?.neuron, SPACE_NEURON);
    assert.equal(hover?.top.length, 2);
    // The emoji is one token of two UTF-16 units: its second half is inside it.
    const emoji = await s.tokenNeurons({ docId: 'file:///a.txt', offset: text.length - 1, k: 1 });
    assert.deepEqual(emoji?.token, { text: '👍', start: text.length - 2, end: text.length, index: r.computed - 1 });
    assert.equal(await s.tokenNeurons({ docId: 'file:///a.txt', offset: text.length + 5, k: 3 }), null);

    const ranking = await s.rankNeuronsForSelection({ docId: 'file:///a.txt', start: spaceAt, end: spaceAt + 1 });
    assert.equal(ranking.matches, [...text].filter((c) => c === ' ').length);
    assert.equal(ranking.neurons[0]!.neuron, SPACE_NEURON);
    assert.ok(ranking.neurons[0]!.score > 5, `score ${ranking.neurons[0]!.score}`);
    assert.equal(ranking.neurons[0]!.meanIn, Math.fround(Math.tanh(3)));

    const described = await s.describeNeurons({ docId: 'file:///a.txt', topTokens: 5 });
    assert.deepEqual(
      described.neurons.map((n) => n.neuron),
      [0, 1, 2, 3],
    );
    assert.deepEqual(described.neurons[SPACE_NEURON], values.stats);
    assert.equal((await s.describeNeurons({ docId: 'file:///a.txt', topTokens: 1 })).neurons[SPACE_NEURON]!.topTokens.length, 1);

    await s.closeDocument({ docId: 'file:///a.txt' });
    await assert.rejects(s.neuronValues({ docId: 'file:///a.txt', neuron: 0 }), /has not been analysed/);
    await s.dispose();
  });

  test('panel analyses on the crafted model: matrix, relevance and spectra find the space neuron', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: crafted });
    // Spaces every second token: the space neuron alternates, so its spectrum peaks at 0.5.
    const text = 'a b c d e f g h i j k l m n o p '.repeat(8);
    const r = await s.analyze(analyzeParams(text));
    const docId = 'file:///a.txt';

    const matrix = await s.componentMatrix({ docId, from: 2, to: 6 });
    assert.deepEqual(matrix.tokens, ['b', ' ', 'c', ' ']);
    assert.equal(matrix.firstToken, 2);
    assert.equal(matrix.values.length, 4 * 4);
    assert.equal(matrix.values[1 * 4 + SPACE_NEURON], Math.fround(Math.tanh(3)));
    assert.equal(matrix.range, 'signed');
    assert.equal((await s.componentMatrix({ docId })).tokens.length, r.computed);
    await assert.rejects(s.componentMatrix({ docId, from: 5, to: 2 }), /to must be an integer from 5/);

    const table = await s.relevanceTable({ docId, features: [' ', '/[a-e]/', 'zebra'], statistic: 'auroc', topK: 2 });
    assert.equal(table.neutral, 0.5);
    assert.deepEqual(
      table.features.map((f) => f.matches),
      [r.computed / 2, 5 * 8, 0],
    );
    assert.equal(table.features[0]!.top[0]!.neuron, SPACE_NEURON);
    assert.equal(table.features[0]!.scores[SPACE_NEURON], 1);
    assert.deepEqual(table.features[2]!.top, []);
    await assert.rejects(s.relevanceTable({ docId, features: [' '], statistic: 'magic', topK: 2 }), /Unknown relevance statistic "magic"/);
    // Every score carries a permutation p-value (1,000 draws unless asked otherwise) and a BH q-value.
    assert.deepEqual(table.significance, { permutations: 1000, seed: 1, nullModel: 'shuffle', fdr: 0.05 });
    assert.equal(table.features[0]!.pValues![SPACE_NEURON], 1 / 1001);
    assert.equal(table.features[0]!.significant![SPACE_NEURON], 1);
    assert.deepEqual([...table.features[2]!.pValues!], [1, 1, 1, 1]);
    const untested = await s.relevanceTable({ docId, features: [' '], statistic: 'cohen-d', topK: 2, permutations: 0 });
    assert.equal(untested.significance, undefined);
    assert.equal(untested.features[0]!.pValues, undefined);
    await assert.rejects(
      s.relevanceTable({ docId, features: [' '], statistic: 'auroc', topK: 2, nullModel: 'bootstrap' }),
      /nullModel must be one of shuffle, circular-shift/,
    );

    const spectra = await s.spectra({ docId, band: [0.4, 0.5], window: 'none', scale: 'power' });
    assert.equal(spectra.frequencies.length, r.computed / 2 + 1);
    assert.equal(spectra.values.length, 4 * spectra.frequencies.length);
    assert.equal(spectra.ranking[0]!.neuron, SPACE_NEURON);
    assert.equal(spectra.peaks[SPACE_NEURON]!.peaks[0]!.frequency, 0.5);
    const some = await s.spectra({ docId, neurons: [SPACE_NEURON, 0], band: [0, 0.5], window: 'hann', scale: 'amplitude' });
    assert.deepEqual(some.neurons, [SPACE_NEURON, 0]);
    await s.dispose();
  });

  test('spectra of a long file cover its first MAX_SPECTRUM_TOKENS tokens and say so', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: crafted });
    const r = await s.analyze(analyzeParams('a '.repeat(30_000), { maxTokens: 100_000 }));
    assert.equal(r.computed, 60_000);
    const spectra = await s.spectra({ docId: 'file:///a.txt', neurons: [SPACE_NEURON], band: [0.4, 0.5], window: 'none', scale: 'power' });
    assert.equal(spectra.tokens, MAX_SPECTRUM_TOKENS);
    assert.equal(spectra.frequencies.length, MAX_SPECTRUM_TOKENS / 2 + 1);
    assert.equal(spectra.peaks[0]!.peaks[0]!.frequency, 0.5);
    await s.dispose();
  });

  test('hover outside the computed tokens of a partial analysis is null; parameters are checked', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: crafted });
    const text = SMALL_TEXT;
    const r = await s.analyze(analyzeParams(text, { untilOffset: 10 }));
    assert.ok(r.computed < r.starts.length);
    assert.equal(await s.tokenNeurons({ docId: 'file:///a.txt', offset: r.ends[r.computed - 1]!, k: 1 }), null);
    assert.notEqual(await s.tokenNeurons({ docId: 'file:///a.txt', offset: r.ends[r.computed - 1]! - 1, k: 1 }), null);
    assert.equal((await s.neuronValues({ docId: 'file:///a.txt', neuron: 0 })).values.length, r.computed);
    await assert.rejects(
      s.neuronValues({ docId: 'file:///a.txt', neuron: 4 }),
      /^NeuronLensError: Neuron 4 does not exist: layer 0 has 4 neurons \(0–3\)$/,
    );
    await assert.rejects(s.tokenNeurons({ docId: 'file:///a.txt', offset: -2, k: 1 }), /offset must be an integer ≥ 0 \(got -2\)/);
    await assert.rejects(s.rankNeuronsForSelection({ docId: 'file:///a.txt', start: 5, end: 2 }), /end must be an integer ≥ 5 \(got 2\)/);
    await assert.rejects(s.describeNeurons({ docId: 'file:///a.txt', topTokens: 1000 }), /topTokens must be an integer from 0 to 100/);
    await assert.rejects(s.analyze(analyzeParams('abc', { docId: '' })), /docId must not be empty/);
    await s.dispose();
  });

  test('a new model gets a new id, frees the old one, and documents start over', async () => {
    const s = new EngineSession();
    const baseline = tf.memory().numTensors;
    const a = await s.loadModel({ dir: crafted });
    const oneModel = tf.memory().numTensors - baseline;
    await s.analyze(analyzeParams(SMALL_TEXT));
    const other = await tinyModelDir(4);
    const b = await s.loadModel({ dir: other });
    assert.ok(b.modelId > a.modelId);
    // Values of the old analysis still answer, labelled with the model they came from.
    assert.equal((await s.neuronValues({ docId: 'file:///a.txt', neuron: 0 })).modelId, a.modelId);
    const again = await s.analyze(analyzeParams(SMALL_TEXT));
    assert.equal(again.recomputedFrom, 0);
    assert.equal(again.modelId, b.modelId);
    assert.equal(again.units, 8);
    const c = await s.loadModel({ dir: crafted });
    assert.ok(c.modelId > b.modelId);
    assert.equal(tf.memory().numTensors - baseline, oneModel, 'the previous models were disposed');
    for (let i = 0; i < 5; i++) await s.analyze(analyzeParams(SMALL_TEXT.slice(i * 7)));
    assert.equal(tf.memory().numTensors - baseline, oneModel, 'analyses leave no tensors');
    await s.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });

  test('a failed load keeps the active model', async () => {
    const s = new EngineSession();
    const a = await s.loadModel({ dir: crafted });
    await assert.rejects(
      s.loadModel({ dir: '/no/such/model' }),
      (e: unknown) => e instanceof NeuronLensError && e.code === 'not-found' && e.message === 'Model folder not found: /no/such/model',
    );
    assert.equal((await s.activeModel())?.modelId, a.modelId);
    await s.dispose();
  });

  test('saveModel writes the active model to another folder, which loads back the same', async () => {
    const s = new EngineSession();
    const a = await s.loadModel({ dir: crafted });
    const dir = path.join(tempDir(), 'copy');
    const saved = await s.saveModel({ dir });
    assert.equal(saved.dir, dir);
    assert.equal(saved.modelId, a.modelId);
    const text = 'the cat sat.';
    await s.analyze(analyzeParams(text));
    const before = (await s.neuronValues({ docId: 'file:///a.txt', neuron: 1 })).values;
    const b = await s.loadModel({ dir });
    assert.deepEqual({ ...b, modelId: 0, dir: '' }, { ...a, modelId: 0, dir: '' });
    await s.analyze(analyzeParams(text));
    assert.deepEqual((await s.neuronValues({ docId: 'file:///a.txt', neuron: 1 })).values, before);
    await s.dispose();
  });

  test('generate samples reproducibly from a seed, with the prime first and a length limit', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: await tinyModelDir(2) });
    const tensors = tf.memory().numTensors;
    const one = await s.generate({ prime: 'the ', length: 40, temperature: 0.8, seed: 5 });
    const two = await s.generate({ prime: 'the ', length: 40, temperature: 0.8, seed: 5 });
    const three = await s.generate({ prime: 'the ', length: 40, temperature: 0.8, seed: 6 });
    assert.equal(one.text, two.text);
    assert.notEqual(one.text, three.text);
    assert.ok(one.text.startsWith('the '));
    assert.equal([...one.text].length, 44);
    assert.equal((await s.generate({ prime: '', length: 5, temperature: 1, seed: 1 })).text.length, 5);
    assert.equal(tf.memory().numTensors, tensors);
    await assert.rejects(
      s.generate({ prime: '', length: MAX_EDITOR_GENERATE_LENGTH + 1, temperature: 1, seed: 1 }),
      new RegExp(`length must be an integer from 1 to ${MAX_EDITOR_GENERATE_LENGTH}`),
    );
    await assert.rejects(
      s.generate({ prime: '', length: 5, temperature: -1, seed: 1 }),
      /temperature must be a number from 0 to 100 \(got -1\)/,
    );
    await s.dispose();
  });

  test('requests for the same document are served one at a time, in order', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: crafted });
    const long = SMALL_TEXT.repeat(3);
    // Neither awaits the other: without serialisation the second would run inside the first's yields.
    const [first, second, values] = await Promise.all([
      s.analyze(analyzeParams(long, { version: 1 })),
      s.analyze(analyzeParams(long + ' more', { version: 2 })),
      s.neuronValues({ docId: 'file:///a.txt', neuron: 2 }),
    ]);
    assert.equal(first.computed, long.length);
    assert.equal(second.version, 2);
    assert.equal(second.computed, long.length + 5);
    assert.equal(values.values.length, long.length + 5);
    // A model swap queued behind an analysis waits for it instead of disposing its weights.
    const [analysis, swapped] = await Promise.all([s.analyze(analyzeParams(long + 'x', { docId: 'b' })), s.loadModel({ dir: crafted })]);
    assert.equal(analysis.computed, long.length + 1);
    assert.ok(swapped.modelId > analysis.modelId);
    await s.dispose();
  });

  test('training: a diverging run stops with its message and leaves the previous model active', async () => {
    const s = new EngineSession();
    const a = await s.loadModel({ dir: crafted });
    const out = tempDir();
    const params: TrainParams = {
      corpus: { kind: 'text', name: 'small', text: SMALL_TEXT },
      cell: 'rnn',
      level: 'char',
      hiddenSize: 4,
      numLayers: 1,
      steps: 20,
      seqLen: 8,
      batch: 2,
      // Adam moves every weight by about the learning rate: the second step overflows float32.
      learningRate: 1e38,
      out,
    };
    await assert.rejects(
      s.train(params),
      (e: unknown) =>
        e instanceof NeuronLensError &&
        e.code === 'diverged' &&
        /^Training diverged at step \d+: .*try a lower learning rate\.$/.test(e.message),
    );
    assert.equal((await s.activeModel())?.modelId, a.modelId);
    await s.dispose();
  });

  test('training requests are checked before anything runs', async () => {
    const s = new EngineSession();
    const base: TrainParams = {
      corpus: { kind: 'default' },
      cell: 'lstm',
      level: 'char',
      hiddenSize: 8,
      numLayers: 1,
      steps: 5,
      out: tempDir(),
    };
    const dir = tempDir();
    const binary = path.join(dir, 'data.bin');
    fs.writeFileSync(binary, Buffer.from([1, 2, 0, 3]));
    const cases: [Partial<TrainParams>, RegExp][] = [
      [{ cell: 'cnn' as 'rnn' }, /^cell must be one of rnn, lstm, gru \(got "cnn"\)$/],
      [{ hiddenSize: 0 }, /^hiddenSize must be an integer from 1 to 8192 \(got 0\)$/],
      [{ steps: 2.5 }, /^steps must be an integer ≥ 1 \(got 2.5\)$/],
      [{ learningRate: Number.NaN }, /^learningRate must be a number/],
      [{ out: '' }, /^out must not be empty$/],
      [{ corpus: { kind: 'text', name: 'empty', text: '  \n' } }, /^The training text empty is empty$/],
      [{ corpus: { kind: 'files', name: 'none', paths: [] } }, /^Choose at least one file to train on$/],
      [
        { corpus: { kind: 'files', name: 'bin', paths: [binary] } },
        new RegExp(`^${binary} looks like a binary file \\(it contains NUL bytes\\), not text$`),
      ],
      [{ corpus: { kind: 'files', name: 'gone', paths: [path.join(dir, 'nope.txt')] } }, /^File not found: .*nope\.txt$/],
      [{ corpus: { kind: 'web' } as unknown as TrainParams['corpus'] }, /^Unknown corpus kind "web"/],
    ];
    for (const [change, message] of cases) {
      await assert.rejects(
        s.train({ ...base, ...change }),
        (e: unknown) => e instanceof NeuronLensError && message.test(e.message),
        message.source,
      );
    }
  });

  test('a files corpus is the files joined by a blank line, named as the host says', () => {
    const dir = tempDir();
    const paths = ['one.txt', 'two.txt'].map((f) => path.join(dir, f));
    fs.writeFileSync(paths[0]!, 'first file\n');
    fs.writeFileSync(paths[1]!, 'second file');
    assert.deepEqual(trainingCorpus({ kind: 'files', name: 'notes', paths }), { name: 'notes', text: 'first file\n\n\nsecond file' });
    assert.deepEqual(trainingCorpus({ kind: 'text', name: 'doc', text: 'abc' }), { name: 'doc', text: 'abc' });
    assert.equal(trainingCorpus({ kind: 'default' }).name, 'moby-dick');
  });

  test('training on files; a second run is refused while one runs; a cancelled run still becomes the active model', async () => {
    const s = new EngineSession();
    const dir = tempDir();
    const files = ['a.txt', 'b.txt'].map((f, i) => {
      const p = path.join(dir, f);
      fs.writeFileSync(p, SMALL_TEXT.slice(i * 300, i * 300 + 600));
      return p;
    });
    const controller = new AbortController();
    const progress: TrainProgressData[] = [];
    const out = path.join(dir, 'model');
    const running = s.train(
      {
        corpus: { kind: 'files', name: 'two files', paths: files },
        cell: 'gru',
        level: 'char',
        hiddenSize: 6,
        numLayers: 1,
        steps: 1000,
        seqLen: 8,
        batch: 2,
        seed: 3,
        out,
      },
      controller.signal,
      (p) => {
        progress.push(p.data!);
        if (p.data!.step === 3) controller.abort();
      },
    );
    const other = {
      corpus: { kind: 'text', name: 't', text: SMALL_TEXT },
      cell: 'rnn',
      level: 'char',
      hiddenSize: 4,
      numLayers: 1,
      steps: 1,
    } as const;
    await assert.rejects(
      s.train({ ...other, out: tempDir() }),
      /^NeuronLensError: A model is already being trained: wait for it to finish or cancel it first$/,
    );
    const model = await running;
    assert.equal(model.training?.corpus, 'two files');
    assert.equal(model.training?.completed, false);
    assert.equal(model.training?.steps, 3);
    assert.equal(model.resumable, true);
    assert.equal(model.dir, out);
    assert.deepEqual(
      progress.map((p) => p.step),
      [1, 2, 3],
    );
    assert.equal((await s.activeModel())?.modelId, model.modelId);
    const r = await s.analyze(analyzeParams('the cat'));
    assert.equal(r.computed, 7);

    // The interrupted run resumes from its checkpoint to the step it aimed for.
    const resumedProgress: number[] = [];
    const resumed = await s.train(
      {
        corpus: { kind: 'files', name: 'two files', paths: files },
        cell: 'gru',
        level: 'char',
        hiddenSize: 6,
        numLayers: 1,
        steps: 6,
        seqLen: 8,
        batch: 2,
        seed: 3,
        out,
        resume: true,
      },
      undefined,
      (p) => resumedProgress.push(p.data!.step),
    );
    assert.deepEqual(resumedProgress, [4, 5, 6]);
    assert.equal(resumed.training?.steps, 6);
    assert.equal(resumed.training?.completed, true);
    assert.equal(resumed.dir, out);
    await assert.rejects(s.train({ ...other, out: tempDir(), resume: true }), /Nothing to resume: .* has no model\.json/);
    await s.dispose();
  });

  test('a cancelled analysis is reported as cancelled', async () => {
    const s = new EngineSession();
    await s.loadModel({ dir: crafted });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(s.analyze(analyzeParams('abc'), controller.signal), CancelledError);
    await s.dispose();
  });
});

// The bundled worker, as the extension runs it (npm test builds dist/ first).
const WORKER = path.resolve(__dirname, '../../dist/worker.js');

describe('engine worker through EngineClient', () => {
  const client = new EngineClient(WORKER, () => 'wasm');
  let crafted = '';

  before(async () => {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build');
    crafted = await craftedModelDir();
  });
  after(() => client.dispose());

  test('without a model, analyze fails with no-model', async () => {
    assert.equal(await client.request('activeModel', {}), null);
    await assert.rejects(
      client.request('analyze', analyzeParams('abc')),
      (e: unknown) =>
        e instanceof EngineError && e.code === 'no-model' && e.userError && /train a model or load a model folder/.test(e.message),
    );
  });

  test('trains a tiny model with progress, then analyses with it', async () => {
    const out = tempDir();
    const progress: { message?: string; fraction?: number; data?: TrainProgressData }[] = [];
    const model = await client.request(
      'train',
      {
        corpus: { kind: 'text', name: 'small', text: SMALL_TEXT },
        cell: 'lstm',
        level: 'char',
        hiddenSize: 8,
        numLayers: 1,
        steps: 20,
        seqLen: 16,
        batch: 4,
        seed: 1,
        out,
      },
      { onProgress: (p) => progress.push(p) },
    );
    assert.equal(model.training?.steps, 20);
    assert.equal(model.training?.completed, true);
    assert.equal(model.training?.corpus, 'small');
    assert.equal(model.dir, out);
    assert.ok(fs.existsSync(path.join(out, 'model.json')));
    assert.deepEqual(
      progress.map((p) => p.data?.step),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const last = progress[19]!;
    assert.equal(last.fraction, 1);
    assert.match(last.message!, /^step 20\/20 · \d+\.\d\d bits\/char$/);
    assert.equal(last.data?.totalSteps, 20);
    assert.ok(Number.isFinite(last.data?.trainBits) && Number.isFinite(last.data?.validationBits));
    assert.ok(last.data!.tokensPerSecond > 0 && last.data!.elapsedMs > 0);
    assert.deepEqual(await client.request('activeModel', {}), model);

    const text = 'the cat sat on the mat.\r\n\t👍 the end';
    const r = await client.request('analyze', analyzeParams(text, { component: 'forget' }));
    assert.ok(r.starts instanceof Int32Array && r.ends instanceof Int32Array);
    assert.equal(r.modelId, model.modelId);
    assert.equal(r.computed, [...text].length);
    assert.equal(r.ends[r.computed - 1], text.length);
    const values = await client.request('neuronValues', { docId: 'file:///a.txt', neuron: 5 });
    assert.ok(values.values instanceof Float32Array);
    assert.equal(values.values.length, r.computed);
    assert.equal(values.range, 'unit');
    assert.ok(values.values.every((v) => v > 0 && v < 1));
    const hover = await client.request('tokenNeurons', { docId: 'file:///a.txt', offset: 4, k: 3 });
    assert.equal(hover?.token.text, 'c');
    assert.equal(hover?.top.length, 3);
    assert.ok(Math.abs(hover!.top[0]!.value) >= Math.abs(hover!.top[2]!.value));
    // A second analysis after a late edit reuses the cache (and the transferred arrays did not detach it).
    const longer = text.repeat(6);
    await client.request('analyze', analyzeParams(longer, { component: 'forget', version: 2 }));
    const edited = await client.request('analyze', analyzeParams(longer + '!', { component: 'forget', version: 3 }));
    assert.equal(edited.version, 3);
    assert.ok(edited.recomputedFrom > 0);
    const generated = await client.request('generate', { prime: 'the', length: 20, temperature: 1, seed: 2 });
    assert.ok(generated.text.startsWith('the') && [...generated.text].length === 23);
  });

  test('loading and cancelling: a cancelled training run still leaves its checkpoint loaded', async () => {
    const loaded = await client.request('loadModel', { dir: crafted });
    const controller = new AbortController();
    const out = tempDir();
    const trained = await client.request(
      'train',
      {
        corpus: { kind: 'text', name: 'small', text: SMALL_TEXT },
        cell: 'gru',
        level: 'word',
        hiddenSize: 8,
        numLayers: 1,
        steps: 100_000,
        seqLen: 8,
        batch: 2,
        out,
      },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.data!.step >= 2) controller.abort();
        },
      },
    );
    assert.ok(trained.modelId > loaded.modelId);
    assert.equal(trained.training?.completed, false);
    assert.ok(trained.training!.steps >= 2 && trained.training!.steps < 100_000);
    assert.equal(trained.level, 'word');
    assert.equal((await client.request('activeModel', {}))?.modelId, trained.modelId);
    const r = await client.request('analyze', analyzeParams('the cat sat', { docId: 'b' }));
    assert.equal(r.computed, 5);
  });

  test('an analysis cancelled from the host fails with cancelled; bad requests get user errors', async () => {
    await client.request('loadModel', { dir: crafted });
    const controller = new AbortController();
    const big = analyzeParams(SMALL_TEXT.repeat(200), { docId: 'big', maxTokens: 1_000_000 });
    const pending = client.request('analyze', big, { signal: controller.signal });
    // Late enough for the request to reach the worker (an earlier abort never leaves the client).
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === 'cancelled' && e.message === 'Analysis cancelled');
    await assert.rejects(
      client.request('analyze', analyzeParams('abc', { component: 'forget' })),
      (e: unknown) =>
        e instanceof EngineError &&
        e.userError &&
        e.code === 'invalid-input' &&
        /^Unknown component "forget" for a RNN layer/.test(e.message),
    );
    await assert.rejects(
      client.request('rankNeuronsForSelection', { docId: 'nothing', start: 0, end: 1 }),
      (e: unknown) => e instanceof EngineError && e.code === 'not-found',
    );
  });
});
