import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import type { ClassifierArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { classProbabilities } from '../../src/engine/classifier/classifierBatch';
import { EngineSession } from '../../src/engine/engineSession';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import { besideZeros, importLayersModel, importedClassNames } from '../../src/engine/layersImport';
import type { LanguageModel } from '../../src/engine/languageModel';
import { loadModel } from '../../src/engine/modelFolder';
import { tempDir } from './helpers';
import { maxDiff, randomizeWeights, saveLayersModel } from './layersModelFiles';

const VOCAB = 11;
const STEPS = 9;
const IDS = [1, 5, 2, 9, 10, 0, 3, 7, 4];

/** Softmax outputs [steps, vocab] and each layer's h [steps, units] of the imported model. */
function runImported(model: LanguageModel, ids: number[]): { probs: Float32Array; h: Float32Array[] } {
  const r = model.run(Int32Array.from(ids), 1, ids.length, model.zeroState(1), { collect: (_l, c) => c === 'h' });
  const probs = tf.softmax(r.logits!).dataSync() as Float32Array;
  const h = r.internals.map((x) => x.h!.dataSync() as Float32Array);
  return { probs, h };
}

/** The imported model matches tfjs-layers' predict and every recurrent layer's sequence output. */
async function assertRoundTrip(
  keras: tfl.LayersModel,
  recurrentLayers: tfl.layers.Layer[],
  rewrite?: (json: Record<string, unknown>) => void,
): Promise<LanguageModel> {
  const file = await saveLayersModel(keras, tempDir('nl-layers-'));
  if (rewrite) {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    rewrite(json);
    fs.writeFileSync(file, JSON.stringify(json));
  }
  const { model } = importLayersModel({ modelJson: file });
  const input = tf.tensor2d([IDS], [1, STEPS]);
  const expected = (keras.predict(input) as tf.Tensor).dataSync() as Float32Array;
  const { probs, h } = runImported(model, IDS);
  assert.ok(maxDiff(probs, expected) < 1e-5, `softmax differs by ${maxDiff(probs, expected)}`);
  recurrentLayers.forEach((layer, i) => {
    const sub = tfl.model({ inputs: keras.inputs, outputs: layer.output as tfl.SymbolicTensor });
    const seq = (sub.predict(input) as tf.Tensor).dataSync() as Float32Array;
    assert.ok(maxDiff(h[i]!, seq) < 1e-5, `layer ${i} h differs by ${maxDiff(h[i]!, seq)}`);
    // The editor records with the streaming runner (its own kernels): it must agree too.
    const runner = createStreamingRunner(model);
    const sink = { layer: i, component: 'h', out: new Float32Array(seq.length) };
    runner.run(Int32Array.from(IDS), runner.zeroState(), [sink]);
    assert.ok(maxDiff(sink.out, seq) < 2e-5, `layer ${i} streaming h differs by ${maxDiff(sink.out, seq)}`);
  });
  return model;
}

describe('import of TensorFlow.js Layers models', () => {
  before(async () => {
    assert.equal(await initBackend('wasm'), 'wasm');
  });

  test('Embedding → LSTM (tfjs defaults: hard_sigmoid gates) → Dropout → Dense(softmax)', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: STEPS }));
    const lstm = tfl.layers.lstm({ units: 6, returnSequences: true, recurrentInitializer: 'glorotUniform' });
    m.add(lstm);
    m.add(tfl.layers.dropout({ rate: 0.3 }));
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    randomizeWeights(m, 1);
    const model = await assertRoundTrip(m, [lstm]);
    assert.equal(model.architecture.cell, 'lstm');
    assert.equal(model.architecture.layers[0]!.recurrentActivation, 'hardSigmoid');
    assert.equal(model.architecture.embeddingSize, 5);
    model.dispose();
  });

  test('two stacked LSTMs with sigmoid gates (the second without bias), TimeDistributed(Dense)', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    const a = tfl.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' });
    const b = tfl.layers.lstm({
      units: 7,
      useBias: false,
      returnSequences: true,
      recurrentActivation: 'sigmoid',
      recurrentInitializer: 'glorotUniform',
    });
    m.add(a);
    m.add(b);
    m.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: VOCAB, activation: 'softmax' }) }));
    randomizeWeights(m, 20);
    const model = await assertRoundTrip(m, [a, b]);
    assert.equal(model.architecture.layers.length, 2);
    model.dispose();
  });

  test('tensorflowjs_converter layout: model_config wrapper, Keras weight names (lstm/lstm_cell/kernel:0), InputLayer', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.inputLayer({ batchInputShape: [null, STEPS] }));
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, name: 'embedding' }));
    const lstm = tfl.layers.lstm({ units: 5, returnSequences: true, name: 'lstm', recurrentInitializer: 'glorotUniform' });
    m.add(lstm);
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax', name: 'dense' }));
    randomizeWeights(m, 30);
    const model = await assertRoundTrip(m, [lstm], (json) => {
      json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: json.modelTopology, training_config: {} };
      const group = (json.weightsManifest as { weights: { name: string }[] }[])[0]!;
      for (const w of group.weights) w.name = w.name.replace(/^lstm\//, 'lstm/lstm_cell/') + ':0';
    });
    assert.equal(model.architecture.layers[0]!.units, 5);
    model.dispose();
  });

  test('GRU (reset_after false) with non-default activations: relu candidate, sigmoid gates', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    const gru = tfl.layers.gru({
      units: 6,
      returnSequences: true,
      activation: 'relu',
      recurrentActivation: 'sigmoid',
      recurrentInitializer: 'glorotUniform',
    });
    m.add(gru);
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    randomizeWeights(m, 40);
    const model = await assertRoundTrip(m, [gru]);
    assert.deepEqual(model.architecture.layers[0], { units: 6, activation: 'relu', recurrentActivation: 'sigmoid', resetAfter: false });
    model.dispose();
  });

  test('functional SimpleRNN model over one-hot inputs, last step only, linear output', async () => {
    const input = tfl.input({ shape: [STEPS, VOCAB] });
    const rnn = tfl.layers.simpleRNN({ units: 6, recurrentInitializer: 'glorotUniform' });
    const out = tfl.layers.dense({ units: VOCAB }).apply(rnn.apply(input)) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(m, 60);
    const file = await saveLayersModel(m, tempDir('nl-layers-'));
    const { model, notes } = importLayersModel({ modelJson: file });
    assert.equal(model.architecture.embeddingSize, 0);
    assert.ok(notes.some((n) => n.includes('last step')));
    const oneHot = tf.reshape(tf.oneHot(tf.tensor1d(IDS, 'int32'), VOCAB), [1, STEPS, VOCAB]);
    const expected = (m.predict(oneHot) as tf.Tensor).dataSync() as Float32Array;
    const r = model.run(Int32Array.from(IDS), 1, STEPS, model.zeroState(1), { collect: (_l, c) => c === 'h' });
    const logits = (r.logits!.dataSync() as Float32Array).slice((STEPS - 1) * VOCAB);
    assert.ok(maxDiff(logits, expected) < 1e-5, `logits differ by ${maxDiff(logits, expected)}`);
    const h = tfl.model({ inputs: input, outputs: rnn.output as tfl.SymbolicTensor }).predict(oneHot) as tf.Tensor;
    assert.ok(maxDiff((r.internals[0]!.h!.dataSync() as Float32Array).slice((STEPS - 1) * 6), h.dataSync()) < 1e-5);
    model.dispose();
  });

  test('GRU with reset_after true (Keras layout, bias [2, 3·units]) matches a reference Keras GRU', async () => {
    // tfjs-layers cannot build reset_after GRUs, so the Keras model.json is written by hand and the
    // reference is Keras' GRU equations in float64.
    const units = 5;
    const emb = 4;
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: emb, inputLength: STEPS }));
    m.add(tfl.layers.gru({ units, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    const dir = tempDir('nl-layers-');
    const file = await saveLayersModel(m, dir);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const layers = json.modelTopology.config.layers;
    Object.assign(layers[1].config, { reset_after: true, recurrent_activation: 'sigmoid', activation: 'tanh' });
    json.modelTopology.keras_version = '2.15.0';
    const rnd = (n: number, seed: number) => Array.from(tf.randomUniform([n], -0.7, 0.7, 'float32', seed).dataSync());
    const E = rnd(VOCAB * emb, 1);
    const W = rnd(emb * 3 * units, 2);
    const U = rnd(units * 3 * units, 3);
    const B = rnd(2 * 3 * units, 4);
    const D = rnd(units * VOCAB, 5);
    const DB = rnd(VOCAB, 6);
    const names = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    json.weightsManifest[0].weights = [
      { name: names[0], shape: [VOCAB, emb], dtype: 'float32' },
      { name: names[1], shape: [emb, 3 * units], dtype: 'float32' },
      { name: names[2], shape: [units, 3 * units], dtype: 'float32' },
      { name: names[3], shape: [2, 3 * units], dtype: 'float32' },
      { name: names[4], shape: [units, VOCAB], dtype: 'float32' },
      { name: names[5], shape: [VOCAB], dtype: 'float32' },
    ];
    fs.writeFileSync(file, JSON.stringify(json));
    fs.writeFileSync(
      path.join(dir, 'group1-shard1of1.bin'),
      new Uint8Array(Float32Array.from([...E, ...W, ...U, ...B, ...D, ...DB]).buffer),
    );

    const { model } = importLayersModel({ modelJson: file });
    assert.equal(model.architecture.layers[0]!.resetAfter, true);
    const { probs, h } = runImported(model, IDS);
    // Keras GRU, reset_after=True: x·W + b_in and h·U + b_rec; hh = tanh(x_h + r ⊙ (h·U_h + b_rec_h)).
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    let hPrev = new Array<number>(units).fill(0);
    const refH: number[] = [];
    const refP: number[] = [];
    for (const id of IDS) {
      const x = E.slice(id * emb, (id + 1) * emb);
      const xp = Array.from({ length: 3 * units }, (_, j) => B[j]! + x.reduce((s, xi, k) => s + xi * W[k * 3 * units + j]!, 0));
      const hp = Array.from(
        { length: 3 * units },
        (_, j) => B[3 * units + j]! + hPrev.reduce((s, hk, k) => s + hk * U[k * 3 * units + j]!, 0),
      );
      const hNew = hPrev.map((hj, j) => {
        const z = sig(xp[j]! + hp[j]!);
        const r = sig(xp[units + j]! + hp[units + j]!);
        const hh = Math.tanh(xp[2 * units + j]! + r * hp[2 * units + j]!);
        return z * hj + (1 - z) * hh;
      });
      refH.push(...hNew);
      const logits = Array.from({ length: VOCAB }, (_, v) => DB[v]! + hNew.reduce((s, hk, k) => s + hk * D[k * VOCAB + v]!, 0));
      const mx = Math.max(...logits);
      const ex = logits.map((l) => Math.exp(l - mx));
      const sum = ex.reduce((s, e) => s + e, 0);
      refP.push(...ex.map((e) => e / sum));
      hPrev = hNew;
    }
    assert.ok(maxDiff(h[0]!, refH) < 1e-5, `h differs by ${maxDiff(h[0]!, refH)}`);
    assert.ok(maxDiff(probs, refP) < 1e-5, `softmax differs by ${maxDiff(probs, refP)}`);
    model.dispose();
  });

  test('unsupported layers, per-token heads that are not the vocabulary, corrupt shards and unsafe paths get clear messages', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    m.add(tfl.layers.conv1d({ filters: 3, kernelSize: 2, name: 'my_conv' }));
    m.add(tfl.layers.lstm({ units: 3, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    const conv = await saveLayersModel(m, tempDir('nl-layers-'));
    assert.throws(() => importLayersModel({ modelJson: conv }), /layer "my_conv" \(Conv1D\) is not supported/);

    const bi = tfl.sequential();
    bi.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    bi.add(
      tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3, recurrentInitializer: 'glorotUniform' }) as tfl.RNN, name: 'bi' }),
    );
    bi.add(tfl.layers.dense({ units: VOCAB }));
    assert.throws(() => importLayersModel({ modelJson: path.join(tempDir(), 'nothing.json') }), /Layers model not found/);
    const biFile = await saveLayersModel(bi, tempDir('nl-layers-'));
    // Output as wide as the vocabulary without a classes file: a next-token model, which cannot read backwards.
    assert.throws(() => importLayersModel({ modelJson: biFile }), /layer "bi" \(Bidirectional\) reads each text backwards too/);

    // A per-token head over 2 classes (a tagger) is neither a language model nor a classifier.
    const tagger = tfl.sequential();
    tagger.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    tagger.add(tfl.layers.gru({ units: 3, returnSequences: true, recurrentInitializer: 'glorotUniform', name: 'g' }));
    tagger.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'sentiment' }));
    const taggerFile = await saveLayersModel(tagger, tempDir('nl-layers-'));
    assert.throws(
      () => importLayersModel({ modelJson: taggerFile }),
      /"sentiment" \(Dense\) predicts at every token \(its 2 units are not the vocabulary's 11\).*"g" \(GRU\) must return only its last step/,
    );

    const ok = tfl.sequential();
    ok.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    ok.add(tfl.layers.lstm({ units: 3, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
    ok.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    const dir = tempDir('nl-layers-');
    const file = await saveLayersModel(ok, dir);
    const shard = path.join(dir, 'group1-shard1of1.bin');
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, bytes.subarray(0, bytes.length - 10));
    assert.throws(
      () => importLayersModel({ modelJson: file }),
      /group1-shard1of1\.bin has \d+ bytes, the manifest needs \d+ \(truncated or corrupt\)/,
    );
    fs.rmSync(shard);
    assert.throws(() => importLayersModel({ modelJson: file }), /weight shard group1-shard1of1\.bin is missing/);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    fs.writeFileSync(file, JSON.stringify(json));
    assert.throws(() => importLayersModel({ modelJson: file }), /unsafe shard path/);
    json.weightsManifest[0].paths = ['group1-shard1of1.bin'];
    json.weightsManifest[0].weights[1].shape = [4, 999];
    fs.writeFileSync(file, JSON.stringify(json));
    assert.throws(() => importLayersModel({ modelJson: file }), /has shape \[4, 999\], expected \[4, 12\]/);
    fs.writeFileSync(file, '{"modelTopology": ');
    assert.throws(() => importLayersModel({ modelJson: file }), /not valid JSON/);
  });

  test('malformed model.json files fail with a user error, never a crash', () => {
    const dir = tempDir('nl-layers-');
    const file = path.join(dir, 'model.json');
    const lstm = { class_name: 'LSTM', config: { name: 'l', units: 3, return_sequences: true } };
    const dense = { class_name: 'Dense', config: { name: 'd', units: 5, activation: 'softmax' } };
    const emb = { class_name: 'Embedding', config: { name: 'e', input_dim: 5, output_dim: 2 } };
    const seq = (layers: unknown, manifest: unknown = []) => ({
      modelTopology: { class_name: 'Sequential', config: { layers } },
      weightsManifest: manifest,
    });
    const cases: unknown[] = [
      null,
      [],
      { format: 'graph-model', modelTopology: {} },
      { modelTopology: null },
      { modelTopology: { class_name: 'Sequential', config: { layers: 'x' } } },
      seq([null]),
      seq([{ class_name: 'LSTM' }]),
      seq([emb, { class_name: 'LSTM', config: { name: 'l', units: 'x' } }, dense]),
      seq([emb, { ...lstm, config: { ...lstm.config, activation: { class_name: 'swish' } } }, dense]),
      seq([emb, lstm, dense]),
      seq([emb, lstm, dense], [{ paths: [1], weights: [] }]),
      seq([emb, lstm, dense], [{ paths: ['w.bin'], weights: [{ name: 'e/embeddings', shape: [5, -2], dtype: 'float32' }] }]),
      seq([emb, lstm, dense], [{ paths: ['w.bin'], weights: [{ name: 'e/embeddings', shape: [5, 2], dtype: 'int32' }] }]),
      seq([emb, lstm, dense], [{ paths: ['w.bin'], weights: [{ name: 'e/embeddings', shape: [5, 2], dtype: 'float32' }] }]),
      seq([emb, { class_name: 'GRU', config: { name: 'g', units: 3, return_sequences: true } }, lstm, dense]),
      seq([emb, lstm, dense, lstm]),
      seq([emb, { class_name: 'TimeDistributed', config: { name: 't', layer: lstm } }]),
      { modelTopology: { class_name: 'Model', config: { layers: [{ ...emb, inbound_nodes: [[['x', 0, 0, {}]]] }] } }, weightsManifest: [] },
    ];
    for (const c of cases) {
      fs.writeFileSync(file, JSON.stringify(c));
      assert.throws(
        () => importLayersModel({ modelJson: file }),
        (e: Error) => e.name === 'NeuronLensError' && e.message.startsWith('Cannot import'),
        JSON.stringify(c),
      );
    }
  });

  test('vocabularies: Keras Tokenizer JSON (word_index, 0 → <unk>), plain lists; CLI import then info and activations', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    m.add(tfl.layers.lstm({ units: 3, returnSequences: true, recurrentInitializer: 'glorotUniform' }));
    m.add(tfl.layers.dense({ units: VOCAB, activation: 'softmax' }));
    randomizeWeights(m, 80);
    const dir = tempDir('nl-layers-');
    const file = await saveLayersModel(m, dir);
    // Keras' Tokenizer.to_json(): word_index is itself a JSON string; ids past num_words are dropped.
    const words = ['the', 'cat', 'sat', 'on', 'mat', '.', 'a', 'dog', 'log', 'and', 'extra1', 'extra2'];
    const wordIndex = Object.fromEntries(words.map((w, i) => [w, i + 1]));
    const tokenizerFile = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(
      tokenizerFile,
      JSON.stringify({
        class_name: 'Tokenizer',
        config: { num_words: VOCAB, char_level: false, lower: true, word_index: JSON.stringify(wordIndex) },
      }),
    );
    const imported = importLayersModel({ modelJson: file, vocab: tokenizerFile });
    assert.equal(imported.tokenizer.level, 'word');
    assert.deepEqual(imported.tokenizer.vocabulary.tokens, ['<unk>', ...words.slice(0, VOCAB - 1)]);
    assert.ok(imported.notes.some((n) => n.includes('left out')));
    imported.model.dispose();

    const listFile = path.join(dir, 'vocab.txt');
    fs.writeFileSync(listFile, ['<pad>', 'a', 'b', 'c', ' ', 'e', 'a'].join('\r\n') + '\r\n');
    const fromList = importLayersModel({ modelJson: file, vocab: listFile });
    assert.equal(fromList.tokenizer.level, 'char');
    assert.deepEqual(fromList.tokenizer.vocabulary.tokens.slice(0, 8), ['<unk>', 'a', 'b', 'c', ' ', 'e', '<unused-6>', '<unused-7>']);
    fromList.model.dispose();

    const io = (out: string[], err: string[]): Output => ({ out: (l) => out.push(l), err: (l) => err.push(l), colour: false });
    const out: string[] = [];
    const err: string[] = [];
    const target = path.join(tempDir('nl-layers-out-'), 'imported');
    const code = await main(
      ['import', '--layers-model', file, '--vocab', tokenizerFile, '--out', target, '--backend', 'wasm'],
      io(out, err),
    );
    assert.equal(code, 0, err.join('\n'));
    assert.match(out.join('\n'), /word-level LSTM 3 .*vocabulary 11, embedding 4/);
    const loaded = await loadModel(target);
    const ids = loaded.tokenizer.encode('the cat sat on the mat').ids;
    assert.deepEqual([...ids], [1, 0, 2, 0, 3, 0, 4, 0, 1, 0, 5]);
    loaded.model.dispose();
    const actOut: string[] = [];
    const actErr: string[] = [];
    const actCode = await main(
      ['activations', '--model', target, '--text', 'the cat sat', '--json', '--backend', 'wasm'],
      io(actOut, actErr),
    );
    assert.equal(actCode, 0, actErr.join('\n'));
    assert.equal((JSON.parse(actOut.join('')) as { values: number[][] }).values.length, 5);
    for (const argv of [
      ['info', '--model', target],
      ['generate', '--model', target, '--prime', 'the cat', '--length', '5', '--seed', '1', '--neuron', '0'],
      ['relevance', '--model', target, '--text', 'the cat sat on the mat . the dog sat on the log .', '--feature', 'sat', '--json'],
    ]) {
      const e: string[] = [];
      assert.equal(await main([...argv, '--backend', 'wasm'], io([], e)), 0, `${argv[0]}: ${e.join('\n')}`);
    }
    // The editor's path: the engine worker's importLayersModel request, then loadModel.
    const session = new EngineSession();
    const viaSession = path.join(tempDir('nl-layers-out-'), 'from-editor');
    const imported2 = await session.importLayersModel({ modelJson: file, vocab: tokenizerFile, level: 'word', out: viaSession });
    assert.equal(imported2.dir, viaSession);
    const active = await session.loadModel({ dir: viaSession });
    assert.equal(active.vocabulary, VOCAB);
    assert.equal(active.level, 'word');
    await assert.rejects(
      session.importLayersModel({ modelJson: file, level: 'bytes' as 'char', out: tempDir() }),
      /level must be one of char, word/,
    );
    const again = await main(['import', '--layers-model', file, '--out', target, '--backend', 'wasm'], io([], err));
    assert.equal(again, 1);
    assert.match(err.join('\n'), /is not empty/);
  });
});

/** Sequences of ids below VOCAB, from a seed, of the given lengths. */
function idSequences(lengths: number[], seed: number): number[][] {
  const r = tf.randomUniform([lengths.reduce((a, b) => a + b, 0)], 0, VOCAB, 'int32', seed).dataSync();
  let at = 0;
  return lengths.map((n) => Array.from(r.subarray(at, (at += n))));
}

/** tfjs-layers' predict of one sequence of ids (or one-hot rows), as a flat array. */
function kerasPredict(keras: tfl.LayersModel, ids: number[], oneHot = false): Float32Array {
  return tf.tidy(() => {
    const x = oneHot ? tf.oneHot(tf.tensor2d([ids], [1, ids.length], 'int32'), VOCAB) : tf.tensor2d([ids], [1, ids.length]);
    return (keras.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** Keras' masked GlobalAveragePooling1D: softmax(mean of the recurrent outputs after `pad` masked steps · kernel + bias). */
function maskedMeanReference(keras: tfl.LayersModel, ids: number[], pad: number): Float32Array {
  const recurrent = keras.layers[1]!;
  const [kernel, bias] = keras.layers[keras.layers.length - 1]!.getWeights();
  return tf.tidy(() => {
    const seq = tfl.model({ inputs: keras.inputs, outputs: recurrent.output as tfl.SymbolicTensor });
    const h = tf.slice(seq.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor3D, [0, pad, 0]);
    const pooled = tf.mean(h, 1) as tf.Tensor2D;
    return tf.softmax(tf.add(tf.matMul(pooled, kernel as tf.Tensor2D), bias!)).dataSync() as Float32Array;
  });
}

/** Our class probabilities of all sequences in one padded batch equal Keras' predict of each alone. */
function assertSameProbabilities(model: LanguageModel, keras: tfl.LayersModel, inputs: number[][], oneHot = false): void {
  const classes = (model.architecture as ClassifierArchitecture).classes.length;
  const ours = classProbabilities(
    model,
    inputs.map((ids) => Int32Array.from(ids)),
  );
  inputs.forEach((ids, i) => {
    let expected = kerasPredict(keras, ids, oneHot);
    // A sigmoid unit gives p(class 1); the imported head gives [1 − p, p].
    if (expected.length === 1) expected = Float32Array.from([1 - expected[0]!, expected[0]!]);
    const got = ours.subarray(i * classes, (i + 1) * classes);
    assert.ok(maxDiff(got, expected) < 1e-5, `input ${i} (${ids.length} tokens): probabilities differ by ${maxDiff(got, expected)}`);
  });
}

describe('import of Keras classifiers', () => {
  before(async () => {
    assert.equal(await initBackend('wasm'), 'wasm');
  });

  test('Embedding → LSTM (last step) → Dropout → Dense(3, softmax): same probabilities, Keras input length, default class names', async () => {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputLength: STEPS }));
    m.add(tfl.layers.lstm({ units: 6, recurrentInitializer: 'glorotUniform' }));
    m.add(tfl.layers.dropout({ rate: 0.5 }));
    m.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'topic' }));
    randomizeWeights(m, 101, 0.9);
    const { model, notes, mapping } = importLayersModel({ modelJson: await saveLayersModel(m, tempDir('nl-layers-')) });
    const arch = model.architecture as ClassifierArchitecture;
    assert.equal(arch.task, 'classifier');
    assert.equal(arch.cell, 'lstm');
    assert.equal(arch.pooling, 'last');
    assert.equal(arch.maxTokens, STEPS);
    assert.deepEqual(arch.classes, ['class 0', 'class 1', 'class 2']);
    assert.ok(
      notes.some((n) => n.includes(`first ${STEPS} tokens (the Keras input length ${STEPS})`)),
      notes.join('\n'),
    );
    assert.match(mapping.join('\n'), /"topic" \(Dense\) → output \[6, 3\] \(3 classes\)/);
    assertSameProbabilities(model, m, idSequences([STEPS, STEPS, STEPS, STEPS], 7));
    model.dispose();
  });

  test('GRU classifier of variable-length input: texts of different lengths in one batch each match Keras; default maxTokens 128', async () => {
    const input = tfl.input({ shape: [null as unknown as number] });
    const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input);
    const gru = tfl.layers.gru({ units: 5, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }).apply(emb);
    const out = tfl.layers.dense({ units: 4, activation: 'softmax' }).apply(gru) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(m, 202, 0.9);
    const { model, notes } = importLayersModel({ modelJson: await saveLayersModel(m, tempDir('nl-layers-')) });
    const arch = model.architecture as ClassifierArchitecture;
    assert.equal(arch.cell, 'gru');
    assert.equal(arch.maxTokens, 128);
    assert.ok(notes.some((n) => n.includes('does not fix its input length')));
    assertSameProbabilities(model, m, idSequences([3, 12, 1, 7], 8));
    model.dispose();
  });

  test('SimpleRNN over one-hot inputs → Dense(2, softmax), with a classes file of one name per line', async () => {
    const input = tfl.input({ shape: [STEPS, VOCAB] });
    const rnn = tfl.layers.simpleRNN({ units: 6, recurrentInitializer: 'glorotUniform' }).apply(input);
    const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(rnn) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(m, 303, 0.9);
    const dir = tempDir('nl-layers-');
    const classes = path.join(dir, 'classes.txt');
    fs.writeFileSync(classes, 'negative\r\npositive\r\n');
    const modelJson = await saveLayersModel(m, dir);
    const { model } = importLayersModel({ modelJson, classes });
    // The editor's import (the worker's request) passes the class names through as well.
    const session = new EngineSession();
    try {
      const imported = await session.importLayersModel({ modelJson, classes, out: path.join(dir, 'imported') });
      assert.deepEqual((await session.loadModel({ dir: imported.dir })).classes, ['negative', 'positive']);
    } finally {
      await session.dispose();
    }
    const arch = model.architecture as ClassifierArchitecture;
    assert.equal(arch.cell, 'rnn');
    assert.equal(arch.embeddingSize, 0);
    assert.equal(arch.vocabSize, VOCAB);
    assert.equal(arch.maxTokens, STEPS);
    assert.deepEqual(arch.classes, ['negative', 'positive']);
    assertSameProbabilities(model, m, idSequences([STEPS, STEPS, STEPS], 9), true);
    model.dispose();
  });

  test('stacked LSTMs → GlobalAveragePooling1D → Dense(1, sigmoid): mean pooling, two classes [not x, x]', async () => {
    const input = tfl.input({ shape: [null as unknown as number] });
    const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input);
    const a = tfl.layers.lstm({ units: 5, returnSequences: true, recurrentInitializer: 'glorotUniform' }).apply(emb);
    const b = tfl.layers.lstm({ units: 4, returnSequences: true, recurrentInitializer: 'glorotUniform' }).apply(a);
    const pooled = tfl.layers.globalAveragePooling1d({ name: 'avg' }).apply(b);
    const out = tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'is_spam' }).apply(pooled) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(m, 404, 1.2);
    const dir = tempDir('nl-layers-');
    const classes = path.join(dir, 'classes.json');
    fs.writeFileSync(classes, JSON.stringify(['spam']));
    const { model, mapping } = importLayersModel({ modelJson: await saveLayersModel(m, dir), classes });
    const arch = model.architecture as ClassifierArchitecture;
    assert.equal(arch.pooling, 'mean');
    assert.equal(arch.layers.length, 2);
    assert.deepEqual(arch.classes, ['not spam', 'spam']);
    assert.match(mapping.join('\n'), /"avg" \(GlobalAveragePooling1D\) → pooling mean/);
    assert.match(mapping.join('\n'), /"is_spam" \(Dense\) → output \[4, 2\] \(logits \[0, z\]: two classes\)/);
    const inputs = idSequences([2, 9, 5, 14], 10);
    assertSameProbabilities(model, m, inputs);
    // The weights are not so small that every probability sits near 0.5 (the test could not fail).
    const p = inputs.map((ids) => kerasPredict(m, ids)[0]!);
    assert.ok(Math.max(...p) - Math.min(...p) > 0.05, `Keras probabilities ${p.join(', ')} barely vary`);
    model.dispose();
  });

  test("mask_zero: Keras' pre-padded input (pad_sequences) gives what the unpadded text gives here, for last and mean pooling", async () => {
    for (const mean of [false, true]) {
      const m = tfl.sequential();
      m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: 12, maskZero: true }));
      m.add(tfl.layers.gru({ units: 5, returnSequences: mean, recurrentInitializer: 'glorotUniform' }));
      if (mean) m.add(tfl.layers.globalAveragePooling1d({}));
      m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));
      randomizeWeights(m, mean ? 606 : 607, 1.2);
      const { model, notes } = importLayersModel({ modelJson: await saveLayersModel(m, tempDir('nl-layers-')) });
      assert.ok(notes.some((n) => n.includes('mask_zero')));
      assert.equal((model.architecture as ClassifierArchitecture).maxTokens, 12);
      // Texts without id 0 (Neuron Lens' <unk>), padded in front to Keras' 12 steps.
      const texts = idSequences([4, 9, 12], mean ? 11 : 12).map((ids) => ids.map((id) => 1 + (id % (VOCAB - 1))));
      const ours = classProbabilities(
        model,
        texts.map((ids) => Int32Array.from(ids)),
      );
      texts.forEach((ids, i) => {
        const padded = [...new Array<number>(12 - ids.length).fill(0), ...ids];
        // tfjs-layers' GlobalAveragePooling1D ignores the mask (Keras' averages unmasked steps only):
        // the reference for mean pooling is Keras' masked mean of the GRU outputs, then the Dense.
        const expected = mean ? maskedMeanReference(m, padded, 12 - ids.length) : kerasPredict(m, padded);
        const got = ours.subarray(i * 3, (i + 1) * 3);
        assert.ok(maxDiff(got, expected) < 1e-5, `${mean ? 'mean' : 'last'} input ${i}: differs by ${maxDiff(got, expected)}`);
      });
      model.dispose();
    }
  });

  test('besideZeros and class naming', () => {
    assert.deepEqual([...besideZeros([1.5, -2])], [0, 1.5, 0, -2]);
    assert.deepEqual(importedClassNames(undefined, 3, false), ['class 0', 'class 1', 'class 2']);
    assert.deepEqual(importedClassNames(['ham', 'spam'], 2, true), ['ham', 'spam']);
    assert.deepEqual(importedClassNames(['spam'], 2, true), ['not spam', 'spam']);
    assert.match(importedClassNames(['a', 'b'], 3, false) as string, /names 2 classes, the model's output needs 3/);
  });

  test('CLI: import --classes, then classify gives tfjs-layers predict probabilities; nothing leaks', async () => {
    const input = tfl.input({ shape: [null as unknown as number] });
    const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4 }).apply(input);
    const gru = tfl.layers.gru({ units: 5, recurrentInitializer: 'glorotUniform' }).apply(emb);
    const out = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(gru) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    randomizeWeights(m, 505, 1.2);
    const dir = tempDir('nl-layers-');
    const file = await saveLayersModel(m, dir);
    const vocab = path.join(dir, 'vocab.txt');
    fs.writeFileSync(vocab, ['<pad>', 'a', 'b', 'c', 'd', 'e', ' ', 'f', 'g', 'h', 'i'].join('\n'));
    const classes = path.join(dir, 'classes.txt');
    fs.writeFileSync(classes, 'red\ngreen\nblue\n');
    const io = (o: string[], e: string[]): Output => ({ out: (l) => o.push(l), err: (l) => e.push(l), colour: false });
    const target = path.join(tempDir('nl-layers-out-'), 'classifier');
    const err: string[] = [];
    const importOut: string[] = [];
    const code = await main(
      [
        'import',
        '--layers-model',
        file,
        '--vocab',
        vocab,
        '--classes',
        classes,
        '--max-tokens',
        '20',
        '--out',
        target,
        '--backend',
        'wasm',
      ],
      io(importOut, err),
    );
    assert.equal(code, 0, err.join('\n'));
    assert.match(
      importOut.join('\n'),
      /char-level GRU 5 .* classifier over 3 classes \(red, green, blue\), read at the last token, first 20 tokens/,
    );
    const text = 'abc dea gif';
    const ids = [1, 2, 3, 6, 4, 5, 1, 6, 8, 10, 7];
    const expected = kerasPredict(m, ids);
    const before = tf.memory().numTensors;
    for (let round = 0; round < 2; round++) {
      const o: string[] = [];
      const e: string[] = [];
      assert.equal(await main(['classify', '--model', target, '--text', text, '--json', '--backend', 'wasm'], io(o, e)), 0, e.join('\n'));
      const r = JSON.parse(o.join('')) as { predicted: string; probabilities: { label: string; probability: number }[] };
      assert.deepEqual(
        r.probabilities.map((p) => p.label),
        ['red', 'green', 'blue'],
      );
      const got = r.probabilities.map((p) => p.probability);
      assert.ok(maxDiff(got, expected) < 1e-5, `classify differs from predict by ${maxDiff(got, expected)}`);
      assert.equal(r.predicted, ['red', 'green', 'blue'][expected.indexOf(Math.max(...expected))]);
      const { model } = importLayersModel({ modelJson: file, classes });
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'tensors leaked across imports and classifications');
  });

  test('unsupported classifier layouts and bad classes files are refused, naming the layer or file', async () => {
    const save = async (build: (m: tfl.Sequential) => void): Promise<string> => {
      const m = tfl.sequential();
      m.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
      build(m);
      return saveLayersModel(m, tempDir('nl-layers-'));
    };
    const rnn = (o: { returnSequences?: boolean; name?: string } = {}) =>
      tfl.layers.lstm({ units: 3, recurrentInitializer: 'glorotUniform', ...o });
    // Bidirectional classifiers are imported: test/unit/bidirectionalImport.test.ts.
    const hidden = await save((m) => {
      m.add(rnn());
      m.add(tfl.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }));
      m.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }));
    });
    assert.throws(() => importLayersModel({ modelJson: hidden }), /layer "hidden" \(Dense\) has activation "relu"/);
    const twoDense = await save((m) => {
      m.add(rnn());
      m.add(tfl.layers.dense({ units: 8, name: 'hidden' }));
      m.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }));
    });
    assert.throws(
      () => importLayersModel({ modelJson: twoDense }),
      /layer "hidden" \(Dense\) is followed by another Dense layer "out" \(Dense\): only one Dense layer, the last, is supported/,
    );
    const maxPool = await save((m) => {
      m.add(rnn({ returnSequences: true }));
      m.add(tfl.layers.globalMaxPooling1d({ name: 'maxpool' }));
      m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
    });
    assert.throws(() => importLayersModel({ modelJson: maxPool }), /layer "maxpool" \(GlobalMaxPooling1D\) is not supported/);
    const conv = await save((m) => {
      m.add(tfl.layers.conv1d({ filters: 3, kernelSize: 2, name: 'conv' }));
      m.add(tfl.layers.globalAveragePooling1d({}));
      m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
    });
    assert.throws(() => importLayersModel({ modelJson: conv }), /layer "conv" \(Conv1D\) is not supported \(convolutions/);
    const multiLabel = await save((m) => {
      m.add(rnn());
      m.add(tfl.layers.dense({ units: 3, activation: 'sigmoid', name: 'tags' }));
    });
    assert.throws(() => importLayersModel({ modelJson: multiLabel }), /"tags" \(Dense\) has 3 sigmoid units \(multi-label\)/);
    const poolAfterLast = await save((m) => {
      m.add(rnn({ name: 'last_only' }));
      m.add(tfl.layers.reshape({ targetShape: [1, 3] }));
    });
    assert.throws(() => importLayersModel({ modelJson: poolAfterLast }), /layer "reshape.*" \(Reshape\) is not supported/);

    // Attention layers are not in tfjs-layers: a Keras model.json written by hand.
    const handDir = tempDir('nl-layers-');
    const hand = path.join(handDir, 'model.json');
    const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
    fs.writeFileSync(
      hand,
      JSON.stringify({
        modelTopology: {
          class_name: 'Sequential',
          config: {
            layers: [
              layer('Embedding', { name: 'e', input_dim: VOCAB, output_dim: 4 }),
              layer('LSTM', { name: 'l', units: 3, return_sequences: true }),
              layer('MultiHeadAttention', { name: 'mha', num_heads: 2, key_dim: 2 }),
              layer('Dense', { name: 'd', units: 2, activation: 'softmax' }),
            ],
          },
        },
        weightsManifest: [],
      }),
    );
    assert.throws(() => importLayersModel({ modelJson: hand }), /layer "mha" \(MultiHeadAttention\) is not supported \(attention/);

    const ok = await save((m) => {
      m.add(rnn());
      m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));
    });
    const classes = path.join(tempDir(), 'classes.txt');
    fs.writeFileSync(classes, 'a\nb\n');
    assert.throws(
      () => importLayersModel({ modelJson: ok, classes }),
      (e: Error) => e.name === 'NeuronLensError' && e.message === `Classes file ${classes}: it names 2 classes, the model's output needs 3`,
    );
    fs.writeFileSync(classes, 'a\nb\na\n');
    assert.throws(() => importLayersModel({ modelJson: ok, classes }), /Classes file .*classes\.txt: the class "a" appears twice/);
    fs.writeFileSync(classes, '["a", 2, "c"]');
    assert.throws(() => importLayersModel({ modelJson: ok, classes }), /Classes file .*: a JSON classes file must be a list of strings/);
    fs.writeFileSync(classes, 'a\n\nc\n');
    assert.throws(() => importLayersModel({ modelJson: ok, classes }), /class 2 must be a non-empty name/);
    assert.throws(() => importLayersModel({ modelJson: ok, classes: path.join(handDir, 'none.txt') }), /Classes file not found/);
    assert.throws(() => importLayersModel({ modelJson: ok, maxTokens: 0 }), /max tokens must be an integer in \[1, 100000\]/);
  });
});
