import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { EngineSession } from '../../src/engine/engineSession';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import { importLayersModel } from '../../src/engine/layersImport';
import type { LanguageModel } from '../../src/engine/languageModel';
import { loadModel } from '../../src/engine/modelFolder';
import { tempDir } from './helpers';

const VOCAB = 11;
const STEPS = 9;
const IDS = [1, 5, 2, 9, 10, 0, 3, 7, 4];

/** Deterministic non-trivial weights (biases too), so every gate and bias matters. */
function randomizeWeights(model: tfl.LayersModel, seed: number, scale = 0.6): void {
  model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, -scale, scale, 'float32', seed + i)));
}

/** Saves like tensorflowjs_converter: model.json with a weightsManifest, one binary shard. */
async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<string> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData as ArrayBuffer));
  const json = {
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
  };
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

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

  test('unsupported layers, classifier heads, corrupt shards and unsafe paths get clear messages', async () => {
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
    assert.throws(() => importLayersModel({ modelJson: biFile }), /layer "bi" \(Bidirectional\).*not supported yet/);

    const cls = tfl.sequential();
    cls.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: 4, inputLength: STEPS }));
    cls.add(tfl.layers.gru({ units: 3, recurrentInitializer: 'glorotUniform' }));
    cls.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'sentiment' }));
    const clsFile = await saveLayersModel(cls, tempDir('nl-layers-'));
    assert.throws(
      () => importLayersModel({ modelJson: clsFile }),
      /"sentiment" \(Dense\) has 2 units.*classifier heads are not supported yet/,
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
