import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  type ClassifierArchitecture,
  type DirectionMerge,
  describeArchitecture,
  makeArchitecture,
  validateArchitecture,
} from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { classProbabilities } from '../../src/engine/classifier/classifierBatch';
import { trainClassifier } from '../../src/engine/classifier/classifierTraining';
import { DocumentSession } from '../../src/engine/documentSession';
import { ArrayRunner } from '../../src/engine/inference/arrayRunner';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import { TfjsRunner } from '../../src/engine/inference/tfjsRunner';
import { classEffect } from '../../src/engine/intervention';
import { importLayersModel, importLayersModelToFolder } from '../../src/engine/layersImport';
import type { LanguageModel } from '../../src/engine/languageModel';
import { loadModel } from '../../src/engine/modelFolder';
import { foolClassifier } from '../../src/engine/optimization/fooling';
import { summarizeModel } from '../../src/engine/modelSummary';
import type { ModelTokenizer } from '../../src/engine/modelTokenizer';
import { ActivationSink, recordActivations, resolveComponent } from '../../src/engine/recorder';
import { tempDir } from './helpers';
import { maxDiff, randomizeWeights, saveLayersModel } from './layersModelFiles';

const VOCAB = 11;
const EMBEDDING = 4;
const UNITS = 5;
/** A char vocabulary of VOCAB tokens (id 0 is <unk>), so texts can be recorded by the normal paths. */
const VOCAB_LINES = ['<pad>', 'a', 'b', 'c', 'd', 'e', ' ', 'f', 'g', 'h', 'i'];

type Kind = 'lstm' | 'gru' | 'simpleRNN';

/** The recurrent layer of a test model; the same options build its one-direction references. */
function recurrentOptions(returnSequences: boolean) {
  return { units: UNITS, returnSequences, recurrentInitializer: 'glorotUniform' as const };
}

function recurrentLayer(kind: Kind, options: ReturnType<typeof recurrentOptions> & { goBackwards?: boolean }): tfl.RNN {
  return (kind === 'lstm' ? tfl.layers.lstm(options) : kind === 'gru' ? tfl.layers.gru(options) : tfl.layers.simpleRNN(options)) as tfl.RNN;
}

interface Built {
  keras: tfl.LayersModel;
  embedding: tfl.layers.Layer;
  bidirectional: tfl.layers.Layer;
  kind: Kind;
}

/** Embedding → Bidirectional(kind) → [GlobalAveragePooling1D] → Dense, over texts of any length. */
function buildClassifier(kind: Kind, merge: DirectionMerge, head: 'last' | 'mean', output: 'softmax' | 'sigmoid', seed: number): Built {
  const input = tfl.input({ shape: [null as unknown as number] });
  const embedding = tfl.layers.embedding({ inputDim: VOCAB, outputDim: EMBEDDING });
  const bidirectional = tfl.layers.bidirectional({
    layer: recurrentLayer(kind, recurrentOptions(head === 'mean')),
    mergeMode: merge,
    name: 'bi',
  });
  let x = bidirectional.apply(embedding.apply(input)) as tfl.SymbolicTensor;
  if (head === 'mean') x = tfl.layers.globalAveragePooling1d({ name: 'avg' }).apply(x) as tfl.SymbolicTensor;
  const dense = tfl.layers.dense({ units: output === 'softmax' ? 3 : 1, activation: output, name: 'out' });
  const keras = tfl.model({ inputs: input, outputs: dense.apply(x) as tfl.SymbolicTensor });
  randomizeWeights(keras, seed, 0.9);
  return { keras, embedding, bidirectional, kind };
}

function kerasPredict(keras: tfl.LayersModel, ids: number[]): Float32Array {
  return tf.tidy(() => (keras.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor).dataSync() as Float32Array);
}

/** Sequences of ids in [1, VOCAB) (no <unk>), from a seed, of the given lengths. */
function idSequences(lengths: number[], seed: number): number[][] {
  const r = tf.randomUniform([lengths.reduce((a, b) => a + b, 0)], 1, VOCAB, 'int32', seed).dataSync();
  let at = 0;
  return lengths.map((n) => Array.from(r.subarray(at, (at += n))));
}

/** Our probabilities of every sequence, batched and padded together, equal Keras' predict of each alone. */
function assertSameProbabilities(model: LanguageModel, keras: tfl.LayersModel, inputs: number[][]): void {
  const classes = (model.architecture as ClassifierArchitecture).classes.length;
  const ours = classProbabilities(
    model,
    inputs.map((ids) => Int32Array.from(ids)),
  );
  const spread: number[] = [];
  inputs.forEach((ids, i) => {
    let expected = kerasPredict(keras, ids);
    // A sigmoid unit gives p(class 1); the imported head gives [1 − p, p].
    if (expected.length === 1) expected = Float32Array.from([1 - expected[0]!, expected[0]!]);
    spread.push(expected[0]!);
    const got = ours.subarray(i * classes, (i + 1) * classes);
    assert.ok(maxDiff(got, expected) < 1e-5, `input ${i} (${ids.length} tokens): probabilities differ by ${maxDiff(got, expected)}`);
  });
  // The weights are not so small that every text gets the same answer (the test could not fail).
  assert.ok(Math.max(...spread) - Math.min(...spread) > 0.02, `Keras probabilities ${spread.join(', ')} barely vary`);
}

/**
 * tfjs-layers' own one-direction layers with the Bidirectional layer's forward and backward
 * weights: the forward h at every token, and the backward h (a go_backwards layer's outputs,
 * put back in token order so that row t is its state after reading tokens T−1…t).
 */
function referenceDirections(b: Built, ids: number[]): { forward: Float32Array; backward: Float32Array } {
  const weights = b.bidirectional.getWeights();
  const half = weights.length / 2;
  const run = (goBackwards: boolean, w: tf.Tensor[]) => {
    const m = tfl.sequential();
    const e = tfl.layers.embedding({ inputDim: VOCAB, outputDim: EMBEDDING, inputLength: ids.length });
    m.add(e);
    const r = recurrentLayer(b.kind, { ...recurrentOptions(true), goBackwards });
    m.add(r);
    e.setWeights(b.embedding.getWeights());
    r.setWeights(w);
    const out = tf.tidy(() => {
      const y = m.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor3D;
      return (goBackwards ? tf.reverse(y, 1) : y).dataSync() as Float32Array;
    });
    m.dispose();
    return out;
  };
  return { forward: run(false, weights.slice(0, half)), backward: run(true, weights.slice(half)) };
}

/** The forward h and the backward h of layer 0 at every token of one sequence, by a single model.run. */
function runDirections(model: LanguageModel, ids: number[]): { forward: Float32Array; backward: Float32Array } {
  return tf.tidy(() => {
    const r = model.run(Int32Array.from(ids), 1, ids.length, model.zeroState(1), {
      collect: (l, c) => l === 0 && (c === 'h' || c === 'backward/h'),
      skipLogits: true,
    });
    return {
      forward: r.internals[0]!.h!.dataSync() as Float32Array,
      backward: r.internals[0]!['backward/h']!.dataSync() as Float32Array,
    };
  });
}

async function importBuilt(
  b: Built,
  classes?: string[],
): Promise<{ model: LanguageModel; tokenizer: ModelTokenizer; modelJson: string; notes: string[]; mapping: string[]; vocab: string }> {
  const dir = tempDir('nl-bidi-');
  const modelJson = await saveLayersModel(b.keras, dir);
  const vocab = path.join(dir, 'vocab.txt');
  fs.writeFileSync(vocab, VOCAB_LINES.join('\n'));
  let classesFile: string | undefined;
  if (classes) {
    classesFile = path.join(dir, 'classes.txt');
    fs.writeFileSync(classesFile, classes.join('\n'));
  }
  const r = importLayersModel({ modelJson, vocab, classes: classesFile });
  return { ...r, modelJson, vocab };
}

describe('import of Keras Bidirectional layers', () => {
  before(async () => {
    assert.equal(await initBackend('wasm'), 'wasm');
  });

  const cases: { kind: Kind; merge: DirectionMerge; head: 'last' | 'mean'; output: 'softmax' | 'sigmoid' }[] = [
    { kind: 'lstm', merge: 'concat', head: 'last', output: 'softmax' },
    { kind: 'lstm', merge: 'sum', head: 'mean', output: 'sigmoid' },
    { kind: 'gru', merge: 'concat', head: 'mean', output: 'softmax' },
    { kind: 'gru', merge: 'ave', head: 'last', output: 'sigmoid' },
    { kind: 'simpleRNN', merge: 'mul', head: 'last', output: 'softmax' },
    { kind: 'simpleRNN', merge: 'sum', head: 'mean', output: 'softmax' },
  ];
  for (const [n, c] of cases.entries()) {
    test(`Bidirectional(${c.kind}, merge ${c.merge}), ${c.head === 'last' ? 'return_sequences false' : 'GlobalAveragePooling1D'}, Dense ${c.output}: predict, and both directions' h at every token`, async () => {
      const b = buildClassifier(c.kind, c.merge, c.head, c.output, 700 + 10 * n);
      const { model, mapping, notes } = await importBuilt(b);
      const arch = model.architecture as ClassifierArchitecture;
      assert.equal(arch.task, 'classifier');
      assert.equal(arch.pooling, c.head);
      assert.deepEqual(
        { direction: arch.layers[0]!.direction, merge: arch.layers[0]!.merge },
        { direction: 'bidirectional', merge: c.merge },
      );
      assert.equal(model.causal, false);
      assert.match(
        mapping.join('\n'),
        new RegExp(`"bi" \\(Bidirectional\\) → layers/0: .* ${UNITS} units .*bidirectional, merge ${c.merge}\\)`),
      );
      const width = c.merge === 'concat' ? 2 * UNITS : UNITS;
      assert.deepEqual(model.weight('output/kernel').shape, [width, c.output === 'softmax' ? 3 : 2]);
      if (c.head === 'last')
        assert.ok(
          notes.some((x) => x.includes('backward h at the first')),
          notes.join('\n'),
        );
      // Texts of different lengths in one padded batch: the backward cell starts at each one's own end.
      assertSameProbabilities(model, b.keras, idSequences([3, 12, 1, 7, 9], 40 + n));

      const ids = idSequences([8], 90 + n)[0]!;
      const ours = runDirections(model, ids);
      const ref = referenceDirections(b, ids);
      assert.ok(maxDiff(ours.forward, ref.forward) < 1e-5, `forward h differs by ${maxDiff(ours.forward, ref.forward)}`);
      assert.ok(maxDiff(ours.backward, ref.backward) < 1e-5, `backward h differs by ${maxDiff(ours.backward, ref.backward)}`);
      // Position 0 holds what the backward direction read last: it is not its first step.
      assert.ok(maxDiff(ours.backward.subarray(0, UNITS), ours.backward.subarray((ids.length - 1) * UNITS)) > 1e-3);
      model.dispose();
      b.keras.dispose();
    });
  }

  test('a stack Bidirectional(LSTM, return_sequences) → LSTM → Dense(softmax): the upper layer reads 2·units per token', async () => {
    const input = tfl.input({ shape: [null as unknown as number] });
    const embedding = tfl.layers.embedding({ inputDim: VOCAB, outputDim: EMBEDDING });
    const bi = tfl.layers.bidirectional({ layer: recurrentLayer('lstm', recurrentOptions(true)), name: 'bi' });
    const top = tfl.layers.lstm({ units: 4, recurrentInitializer: 'glorotUniform', name: 'top' });
    const out = tfl.layers.dense({ units: 3, activation: 'softmax' });
    const keras = tfl.model({ inputs: input, outputs: out.apply(top.apply(bi.apply(embedding.apply(input)))) as tfl.SymbolicTensor });
    randomizeWeights(keras, 811, 0.9);
    const { model } = await importBuilt({ keras, embedding, bidirectional: bi, kind: 'lstm' });
    assert.deepEqual(model.weight('layers/1/kernel').shape, [2 * UNITS, 16]);
    assert.deepEqual(model.weight('layers/0/backward/kernel').shape, [EMBEDDING, 4 * UNITS]);
    assert.equal(model.architecture.layers[1]!.direction, undefined);
    assert.deepEqual(
      model.components(0).map((c) => c.id),
      ['h', 'c', 'i', 'f', 'g', 'o', 'backward/h', 'backward/c', 'backward/i', 'backward/f', 'backward/g', 'backward/o'],
    );
    assert.deepEqual(
      model.components(1).map((c) => c.id),
      ['h', 'c', 'i', 'f', 'g', 'o'],
    );
    assertSameProbabilities(model, keras, idSequences([2, 10, 6, 13], 12));
    // The upper layer's h at every token is tfjs-layers' own.
    const ids = idSequences([9], 13)[0]!;
    const expected = tf.tidy(() => {
      const sub = tfl.model({ inputs: keras.inputs, outputs: bi.output as tfl.SymbolicTensor });
      return (sub.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor).dataSync() as Float32Array;
    });
    const merged = tf.tidy(() => {
      const r = model.run(Int32Array.from(ids), 1, ids.length, model.zeroState(1), {
        collect: (l, c) => l === 0 && (c === 'h' || c === 'backward/h'),
        skipLogits: true,
      });
      return tf.concat([r.internals[0]!.h!, r.internals[0]!['backward/h']!], 2).dataSync() as Float32Array;
    });
    assert.ok(maxDiff(merged, expected) < 1e-5, `Bidirectional outputs differ by ${maxDiff(merged, expected)}`);
    model.dispose();
    keras.dispose();
  });

  test('Bidirectional(GRU, reset_after true) in the Keras layout (bias [2, 3·units] per direction) matches Keras GRU equations', async () => {
    // tfjs-layers cannot build reset_after GRUs: the model.json and shard are rewritten by hand and
    // the reference is Keras' GRU equations in float64, run forward and backward.
    const b = buildClassifier('gru', 'concat', 'last', 'softmax', 900);
    const dir = tempDir('nl-bidi-');
    const file = await saveLayersModel(b.keras, dir);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const wrapper = json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Bidirectional');
    Object.assign(wrapper.config.layer.config, { reset_after: true, recurrent_activation: 'sigmoid' });
    json.modelTopology.keras_version = '2.15.0';
    const rnd = (n: number, seed: number) => Array.from(tf.randomUniform([n], -0.8, 0.8, 'float32', seed).dataSync());
    const g = 3 * UNITS;
    const E = rnd(VOCAB * EMBEDDING, 1);
    const direction = (seed: number) => ({ W: rnd(EMBEDDING * g, seed), U: rnd(UNITS * g, seed + 1), B: rnd(2 * g, seed + 2) });
    const fw = direction(10);
    const bw = direction(20);
    const D = rnd(2 * UNITS * 3, 30);
    const DB = rnd(3, 31);
    const weights = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    for (const w of weights) if (w.name.endsWith('/bias') && w.shape.length === 1 && w.shape[0] === g) w.shape = [2, g];
    fs.writeFileSync(file, JSON.stringify(json));
    const values = [E, fw.W, fw.U, fw.B, bw.W, bw.U, bw.B, D, DB];
    assert.deepEqual(
      weights.map((w) => w.shape.reduce((a, c) => a * c, 1)),
      values.map((v) => v.length),
    );
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(Float32Array.from(values.flat()).buffer));

    const { model } = importLayersModel({ modelJson: file });
    assert.equal(model.architecture.layers[0]!.resetAfter, true);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    /** Keras GRU, reset_after=True: x·W + b_in, h·U + b_rec; n = tanh(x_n + r ⊙ (h·U_n + b_rec_n)). Row t: the state at token t. */
    const gru = (ids: number[], p: { W: number[]; U: number[]; B: number[] }, backward: boolean): number[][] => {
      let h = new Array<number>(UNITS).fill(0);
      const out: number[][] = new Array(ids.length);
      for (let k = 0; k < ids.length; k++) {
        const t = backward ? ids.length - 1 - k : k;
        const x = E.slice(ids[t]! * EMBEDDING, (ids[t]! + 1) * EMBEDDING);
        const xp = Array.from({ length: g }, (_, j) => p.B[j]! + x.reduce((s, xi, i) => s + xi * p.W[i * g + j]!, 0));
        const hp = Array.from({ length: g }, (_, j) => p.B[g + j]! + h.reduce((s, hi, i) => s + hi * p.U[i * g + j]!, 0));
        h = h.map((hj, j) => {
          const z = sig(xp[j]! + hp[j]!);
          const r = sig(xp[UNITS + j]! + hp[UNITS + j]!);
          const n = Math.tanh(xp[2 * UNITS + j]! + r * hp[2 * UNITS + j]!);
          return z * hj + (1 - z) * n;
        });
        out[t] = h;
      }
      return out;
    };
    const inputs = idSequences([6, 2, 11], 77);
    const ours = classProbabilities(
      model,
      inputs.map((ids) => Int32Array.from(ids)),
    );
    inputs.forEach((ids, i) => {
      const f = gru(ids, fw, false);
      const bk = gru(ids, bw, true);
      const pooled = [...f[ids.length - 1]!, ...bk[0]!];
      const logits = DB.map((bias, c) => bias + pooled.reduce((s, v, k) => s + v * D[k * 3 + c]!, 0));
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const expected = e.map((v) => v / e.reduce((a, c) => a + c, 0));
      const got = ours.subarray(3 * i, 3 * i + 3);
      assert.ok(maxDiff(got, expected) < 1e-5, `input ${i}: probabilities differ by ${maxDiff(got, expected)}`);
      if (i === 0) {
        const r = runDirections(model, ids);
        assert.ok(maxDiff(r.backward, bk.flat()) < 1e-5, `backward h differs by ${maxDiff(r.backward, bk.flat())}`);
        assert.ok(maxDiff(r.forward, f.flat()) < 1e-5, `forward h differs by ${maxDiff(r.forward, f.flat())}`);
      }
    });
    model.dispose();
    b.keras.dispose();
  });

  test('the model folder saves and reloads; summary, description, labels and component names include the backward cell', async () => {
    const b = buildClassifier('lstm', 'concat', 'mean', 'softmax', 1000);
    const dir = tempDir('nl-bidi-');
    const modelJson = await saveLayersModel(b.keras, dir);
    const vocab = path.join(dir, 'vocab.txt');
    fs.writeFileSync(vocab, VOCAB_LINES.join('\n'));
    const out = path.join(tempDir('nl-bidi-out-'), 'model');
    const imported = await importLayersModelToFolder({ modelJson, vocab, out });
    assert.match(
      imported.description,
      /char-level LSTM 5 bidirectional \(concat\) \(1 layer, vocabulary 11, embedding 4\) classifier over 3 classes/,
    );
    const loaded = await loadModel(out);
    assert.deepEqual(loaded.model.architecture.layers[0], {
      units: UNITS,
      activation: 'tanh',
      recurrentActivation: 'hardSigmoid',
      resetAfter: true,
      direction: 'bidirectional',
      merge: 'concat',
    });
    assertSameProbabilities(loaded.model, b.keras, idSequences([4, 9, 1], 5));
    const summary = summarizeModel(loaded);
    assert.deepEqual(summary.bidirectionalLayers, [0]);
    assert.deepEqual(summary.components.map((c) => c.id).slice(6), [
      'backward/h',
      'backward/c',
      'backward/i',
      'backward/f',
      'backward/g',
      'backward/o',
    ]);
    assert.equal(summary.components[9]!.label, 'backward forget gate');
    assert.equal(resolveComponent(loaded.model, 0, 'backward-forget'), 'backward/f');
    assert.equal(resolveComponent(loaded.model, 0, 'backward/c'), 'backward/c');
    assert.throws(
      () => resolveComponent(loaded.model, 0, 'backward-z'),
      /Unknown component "backward-z" for a LSTM layer; choose one of h \(hidden state\).*backward\/o \(backward output gate\)/,
    );
    loaded.model.dispose();
    b.keras.dispose();
  });

  test('recording in chunks, the editor cache (whole-document recompute on an edit) and one run give the same values; nothing leaks', async () => {
    const b = buildClassifier('gru', 'sum', 'mean', 'softmax', 1100);
    const { model, tokenizer, modelJson, vocab } = await importBuilt(b);
    const loaded = { model, tokenizer };
    const text = 'abc dea gif hhb ace';
    const { ids } = tokenizer.encode(text);
    const direct = tf.tidy(() => {
      const r = model.run(ids, 1, ids.length, model.zeroState(1), {
        collect: (l, c) => l === 0 && (c === 'z' || c === 'backward/h' || c === 'backward/r'),
        skipLogits: true,
      });
      return Object.fromEntries(Object.entries(r.internals[0]!).map(([c, t]) => [c, t.dataSync() as Float32Array]));
    });
    const before = tf.memory().numTensors;
    // A chunk size far below the text's length: the recorder still reads the text whole.
    const rec = await recordActivations(loaded, text, { components: ['z', 'backward-hidden', 'backward/r'], chunkSize: 3 });
    for (const c of ['z', 'backward/h', 'backward/r']) {
      assert.ok(
        maxDiff(rec.layers[0]!.components[c]!, direct[c]!) < 1e-6,
        `${c} differs by ${maxDiff(rec.layers[0]!.components[c]!, direct[c]!)}`,
      );
    }

    const runner = createStreamingRunner(model);
    const session = new DocumentSession('doc');
    const m = { id: 1, model, tokenizer, runner };
    const params = (t: string, extra: { untilOffset?: number } = {}) => ({
      docId: 'doc',
      version: 1,
      text: t,
      layer: 0,
      component: 'backward-h',
      maxTokens: 1000,
      ...extra,
    });
    const first = await session.analyze(m, params(text, { untilOffset: 2 }));
    // The backward direction needs the whole text: it is computed whole even when asked for a prefix.
    assert.equal(first.computed, ids.length);
    assert.ok(maxDiff(session.values, direct['backward/h']!) < 1e-6);
    const edited = text.replace('gif', 'gab');
    const second = await session.analyze(m, params(edited));
    assert.equal(second.recomputedFrom, 0);
    const fresh = tf.tidy(() => {
      const e = tokenizer.encode(edited).ids;
      const r = model.run(e, 1, e.length, model.zeroState(1), { collect: (l, c) => l === 0 && c === 'backward/h', skipLogits: true });
      return r.internals[0]!['backward/h']!.dataSync() as Float32Array;
    });
    assert.ok(maxDiff(session.values, fresh) < 1e-6);
    // Tokens before the edit change too: the backward direction read the edited tokens after them.
    assert.ok(maxDiff(fresh.subarray(0, UNITS), direct['backward/h']!.subarray(0, UNITS)) > 1e-4);
    const third = await session.analyze(m, params(edited));
    assert.equal(third.recomputedFrom, ids.length, 'an unchanged text is answered from the cache');
    // The document is what the classifier reads: its first maxTokens tokens.
    const capped = importLayersModel({ modelJson, vocab, maxTokens: 6 });
    const cappedRunner = createStreamingRunner(capped.model);
    const cappedSession = new DocumentSession('doc2');
    const c = await cappedSession.analyze({ id: 2, model: capped.model, tokenizer, runner: cappedRunner }, params(edited));
    assert.deepEqual([c.computed, c.truncated, c.totalTokens], [6, true, ids.length]);
    const six = tf.tidy(() => {
      const e = tokenizer.encode(edited).ids.subarray(0, 6);
      const r = capped.model.run(e, 1, 6, capped.model.zeroState(1), {
        collect: (l, k) => l === 0 && k === 'backward/h',
        skipLogits: true,
      });
      return r.internals[0]!['backward/h']!.dataSync() as Float32Array;
    });
    assert.ok(maxDiff(cappedSession.values, six) < 1e-6);
    cappedRunner.dispose();
    capped.model.dispose();
    runner.dispose();
    classProbabilities(model, [ids, ids.subarray(0, 4)]);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    model.dispose();
    b.keras.dispose();
  });

  test('fooling differentiates through the backward cell: its edits score what classify gives for the edited text', async () => {
    const b = buildClassifier('lstm', 'concat', 'last', 'softmax', 1150);
    const { model, tokenizer } = await importBuilt(b);
    const text = 'abc dea gif hhb';
    const probabilitiesOf = (t: string) => Array.from(classProbabilities(model, [tokenizer.encode(t).ids]));
    const before = tf.memory().numTensors;
    const r = await foolClassifier({ model, tokenizer }, text, { maxFlips: 3 });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.ok(r.steps.length >= 1, r.summary);
    assert.ok(maxDiff(r.probabilitiesBefore, probabilitiesOf(text)) < 1e-6);
    assert.ok(maxDiff(r.probabilitiesAfter, probabilitiesOf(r.text)) < 1e-6);
    assert.ok(r.steps.every((s) => Number.isFinite(s.estimatedGain)));
    // Each kept edit moved the original class's probability down (the objective of an untargeted fool).
    const original = r.classes.indexOf(r.originalClass);
    assert.ok(r.probabilitiesAfter[original]! < r.probabilitiesBefore[original]!, `${r.probabilitiesBefore} → ${r.probabilitiesAfter}`);
    model.dispose();
    b.keras.dispose();
  });

  test('what needs a causal model refuses a bidirectional one, naming why', async () => {
    const b = buildClassifier('lstm', 'concat', 'last', 'softmax', 1200);
    const { model, tokenizer } = await importBuilt(b);
    const why = /not supported for a model with a bidirectional layer: its backward direction reads every token after each position/;
    const ids = tokenizer.encode('abc de').ids;
    // The fast runner (what createStreamingRunner picks) and the tfjs one refuse the same calls.
    const picked = createStreamingRunner(model);
    assert.ok(picked instanceof ArrayRunner);
    picked.dispose();
    for (const runner of [new ArrayRunner(model), new TfjsRunner(model)]) {
      assert.equal(runner.causal, false);
      const state = runner.zeroState();
      const out = new Float32Array(ids.length * UNITS);
      assert.throws(
        () => runner.run(ids, state, [{ layer: 0, component: 'h', out }], 2),
        /Continuing a text from a state is not supported for a model with a bidirectional layer/,
      );
      runner.run(ids, state, [{ layer: 0, component: 'h', out }]);
      assert.throws(() => runner.run(ids, state, [{ layer: 0, component: 'h', out }]), /Continuing a text from a state is not supported/);
      assert.throws(
        () => runner.run(ids, runner.zeroState(), [], 0, () => undefined),
        /Intervening on the recurrent state is not supported/,
      );
      runner.dispose();
    }
    assert.throws(
      () => classEffect({ model, tokenizer }, 'abc', [{ layer: 0, component: 'h', units: [0], mode: 'zero', where: 'all' }]),
      why,
    );
    assert.throws(
      () =>
        tf.tidy(() => {
          model.run(ids, 1, ids.length, model.zeroState(1), { intervene: (_l, _s, s) => s });
        }),
      /Intervening on the recurrent state is not supported/,
    );
    assert.throws(
      () => new ActivationSink(model, [{ layer: 0, components: ['h'] }]),
      /Feeding tokens one call at a time \(generation\) is not supported/,
    );
    await assert.rejects(
      trainClassifier(model, { train: { ids: [ids], labels: Int32Array.of(0) } }),
      /Training is not supported for a model with a bidirectional layer/,
    );
    model.dispose();
    b.keras.dispose();
  });

  test('refused at import: next-token models with a Bidirectional layer, merge_mode None, unlike backward layers; refused in architectures', async () => {
    const lm = tfl.sequential();
    lm.add(tfl.layers.embedding({ inputDim: VOCAB, outputDim: EMBEDDING, inputLength: 6 }));
    lm.add(tfl.layers.bidirectional({ layer: recurrentLayer('lstm', recurrentOptions(true)), name: 'bi' }));
    lm.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: VOCAB, activation: 'softmax' }) }));
    const lmFile = await saveLayersModel(lm, tempDir('nl-bidi-'));
    assert.throws(
      () => importLayersModel({ modelJson: lmFile }),
      /layer "bi" \(Bidirectional\) reads each text backwards too.*a model predicting the next token at every token cannot have one/,
    );

    const b = buildClassifier('gru', 'concat', 'last', 'softmax', 1300);
    const file = await saveLayersModel(b.keras, tempDir('nl-bidi-'));
    const original = fs.readFileSync(file, 'utf8');
    const rewrite = (edit: (wrapper: { config: Record<string, unknown> }) => void) => {
      const json = JSON.parse(original);
      edit(json.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Bidirectional'));
      fs.writeFileSync(file, JSON.stringify(json));
    };
    rewrite((w) => (w.config.merge_mode = null));
    assert.throws(
      () => importLayersModel({ modelJson: file }),
      /layer "bi" \(Bidirectional\) returns its two directions as separate outputs \(merge_mode None\)/,
    );
    rewrite((w) => (w.config.merge_mode = 'max'));
    assert.throws(
      () => importLayersModel({ modelJson: file }),
      /layer "bi" \(Bidirectional\) has merge_mode "max"; supported: concat, sum, ave, mul/,
    );
    rewrite((w) => {
      const inner = w.config.layer as { class_name: string; config: Record<string, unknown> };
      w.config.backward_layer = { class_name: 'GRU', config: { ...inner.config, units: 7, go_backwards: true } };
    });
    assert.throws(() => importLayersModel({ modelJson: file }), /layer "bi" \(Bidirectional\) has a backward layer that differs in units/);
    rewrite((w) => {
      const inner = w.config.layer as { class_name: string; config: Record<string, unknown> };
      // Keras 3 writes the backward layer even when it is the forward one read backwards.
      w.config.backward_layer = { class_name: 'GRU', config: { ...inner.config, name: 'backward_gru', go_backwards: true } };
    });
    importLayersModel({ modelJson: file }).model.dispose();
    rewrite((w) => (w.config.layer = { class_name: 'Conv1D', config: { name: 'c', filters: 2 } }));
    assert.throws(
      () => importLayersModel({ modelJson: file }),
      /layer "bi" \(Bidirectional\) wraps a "Conv1D" layer; only Bidirectional\(SimpleRNN \| LSTM \| GRU\)/,
    );

    const arch = makeArchitecture({
      cell: 'lstm',
      level: 'char',
      vocabSize: 5,
      hiddenSize: 3,
      classifier: { classes: ['a', 'b'] },
    }) as ClassifierArchitecture;
    const bidirectional = { ...arch, layers: [{ ...arch.layers[0]!, direction: 'bidirectional', merge: 'concat' }] };
    validateArchitecture(bidirectional);
    assert.match(describeArchitecture(bidirectional as ClassifierArchitecture), /LSTM 3 bidirectional \(concat\)/);
    assert.throws(
      () => validateArchitecture({ ...bidirectional, layers: [{ ...bidirectional.layers[0], merge: undefined }] }),
      /layer 0: a bidirectional layer needs merge concat, sum, ave or mul, not undefined/,
    );
    assert.throws(
      () => validateArchitecture({ ...arch, layers: [{ ...arch.layers[0], merge: 'sum' }] }),
      /layer 0: merge "sum" is only for bidirectional layers/,
    );
    assert.throws(
      () => validateArchitecture({ ...arch, layers: [{ ...arch.layers[0], direction: 'backward' }] }),
      /layer 0: unknown direction "backward" \(expected forward or bidirectional\)/,
    );
    const { classes: _c, pooling: _p, maxTokens: _m, ...body } = bidirectional;
    assert.throws(
      () => validateArchitecture({ ...body, task: 'language-model' }),
      /Invalid model architecture: layer 0 is bidirectional: its backward direction reads the tokens after each position, which a language model must predict/,
    );
    b.keras.dispose();
    lm.dispose();
  });
});
