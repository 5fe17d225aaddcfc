import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModelArchitecture, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { LanguageModel, type LayerState } from '../../src/engine/languageModel';
import { crossEntropy } from '../../src/engine/loss';
import { Random } from '../../src/engine/random';
import { dropoutMaskFactory } from '../../src/engine/trainer';
import { columnSums, lookupRows, scatterAddRows, toTimeMajor, transpose } from '../../src/engine/training/matrixLayout';
import { sequenceGradients, supportsSequenceGradients } from '../../src/engine/training/sequenceBackprop';

before(async () => {
  await initBackend('wasm');
});

const VOCAB = 11;

interface ModelOptions {
  cell?: 'lstm' | 'rnn' | 'gru';
  resetAfter?: boolean;
  layers: number;
  embedding: number;
  units?: number;
  recurrentActivation?: 'sigmoid' | 'hardSigmoid';
  activation?: 'tanh' | 'relu';
  seed?: number;
}

function model(options: ModelOptions) {
  const arch = makeArchitecture({
    cell: options.cell ?? 'lstm',
    level: options.embedding > 0 ? 'word' : 'char',
    vocabSize: VOCAB,
    hiddenSize: options.units ?? 6,
    numLayers: options.layers,
    embeddingSize: options.embedding,
  });
  for (const l of arch.layers as { recurrentActivation: string; activation: string; resetAfter: boolean }[]) {
    l.resetAfter = options.resetAfter ?? l.resetAfter;
    l.recurrentActivation = options.recurrentActivation ?? l.recurrentActivation;
    l.activation = options.activation ?? l.activation;
  }
  return LanguageModel.initialize(arch as LanguageModelArchitecture, options.seed ?? 5);
}

function randomIds(n: number, rng: Random): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng.next() * VOCAB));
}

/** A carried-over state: nonzero, as after a previous window. */
function randomState(m: LanguageModel, batch: number, rng: Random): LayerState[] {
  return m.cells.map((cell) =>
    Array.from({ length: cell.stateSize }, () =>
      tf.tensor2d(
        Float32Array.from({ length: batch * cell.config.units }, () => rng.normal() * 0.5),
        [batch, cell.config.units],
      ),
    ),
  );
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string, relative = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let k = 0; k < actual.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  assert.ok(scale > 0, `${what}: the reference gradient is all zeros, so the comparison would prove nothing`);
  assert.ok(worst <= relative * scale, `${what}: max difference ${worst} against max |value| ${scale}`);
}

/** Autodiff and hand-written gradients of one window, compared weight by weight. */
function compare(m: LanguageModel, batch: number, steps: number, dropout = 0, seed = 1): void {
  const rng = new Random(seed);
  const ids = randomIds(batch * steps, rng);
  const labels = randomIds(batch * steps, rng);
  const state = randomState(m, batch, rng);
  let referenceState: LayerState[] = [];
  const reference = tf.variableGrads(() => {
    const r = m.run(ids, batch, steps, state, { dropoutMasks: dropoutMaskFactory(dropout, seed, 3) });
    referenceState = r.state.map((l) => l.map((t) => tf.keep(t)));
    return crossEntropy(r.logits!, labels);
  }, m.trainableVariables);
  const ours = sequenceGradients(m, ids, labels, batch, steps, state, { dropoutMasks: dropoutMaskFactory(dropout, seed, 3) });

  assertClose(ours.loss.dataSync() as Float32Array, reference.value.dataSync() as Float32Array, 'loss', 1e-5);
  assert.deepEqual(Object.keys(ours.grads).sort(), Object.keys(reference.grads).sort());
  for (const [name, g] of Object.entries(reference.grads)) {
    assert.deepEqual(ours.grads[name]!.shape, g.shape, `${name}: shape`);
    assertClose(ours.grads[name]!.dataSync() as Float32Array, g.dataSync() as Float32Array, name);
  }
  ours.state.forEach((layer, l) =>
    layer.forEach((s, k) =>
      assertClose(s.dataSync() as Float32Array, referenceState[l]![k]!.dataSync() as Float32Array, `state ${l}.${k}`, 1e-5),
    ),
  );
  tf.dispose([ours.loss, reference.value, ...Object.values(ours.grads), ...Object.values(reference.grads)]);
  for (const s of [ours.state, referenceState, state]) tf.dispose(s.flat());
}

describe('hand-written back-propagation through time', () => {
  test('time-major reordering, transpose and row scatter', () => {
    // ids [batch 2, steps 3] row-major → step by step.
    assert.deepEqual([...toTimeMajor(Int32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)], [1, 4, 2, 5, 3, 6]);
    assert.deepEqual([...transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3)], [1, 4, 2, 5, 3, 6]);
    const big = Float32Array.from({ length: 70 * 45 }, (_, k) => k);
    const t = transpose(big, 70, 45);
    assert.equal(t[44 * 70 + 69], 69 * 45 + 44);
    assert.equal(t[3 * 70 + 40], 40 * 45 + 3);
    // Rows 0 and 2 both land on table row 1.
    assert.deepEqual([...scatterAddRows(Float32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 0, 1]), 3, 2)], [3, 4, 6, 8, 0, 0]);
    // Lookup is scatter's forward: rows 1, 0, 1 of a [3, 2] table, plus a bias.
    const table = Float32Array.from([1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...lookupRows(table, Int32Array.from([1, 0, 1]), 2, Float32Array.from([10, 20]))], [13, 24, 11, 22, 13, 24]);
    assert.throws(() => lookupRows(table, Int32Array.from([3]), 2), /id 3 is outside the table/);
    assert.deepEqual([...columnSums(table, 3, 2)], [9, 12]);
  });

  const cases: (ModelOptions & { what: string })[] = [
    { what: 'LSTM, one-hot input, 1 layer', layers: 1, embedding: 0 },
    { what: 'LSTM, one-hot input, 2 layers', layers: 2, embedding: 0 },
    { what: 'LSTM, embedding input, 1 layer', layers: 1, embedding: 5 },
    { what: 'LSTM, embedding input, 2 layers', layers: 2, embedding: 5 },
    { what: 'LSTM, hard-sigmoid gates (Keras import)', layers: 1, embedding: 0, recurrentActivation: 'hardSigmoid' },
    { what: 'RNN, one-hot input, 2 layers', cell: 'rnn', layers: 2, embedding: 0 },
    { what: 'RNN, embedding input, relu', cell: 'rnn', layers: 1, embedding: 5, activation: 'relu' },
    { what: 'GRU, one-hot input, 2 layers', cell: 'gru', layers: 2, embedding: 0 },
    { what: 'GRU, embedding input, 1 layer', cell: 'gru', layers: 1, embedding: 5 },
  ];
  for (const c of cases) {
    test(`gradients equal autodiff: ${c.what}, carried-over state`, () => {
      const m = model(c);
      compare(m, 3, 7);
      m.dispose();
    });
  }

  test('dropout masks are applied at the same sites as model.run', () => {
    for (const c of [{ embedding: 0 }, { embedding: 5 }, { embedding: 0, cell: 'rnn' as const }, { embedding: 5, cell: 'gru' as const }]) {
      const m = model({ layers: 2, ...c });
      compare(m, 2, 6, 0.4, 9);
      m.dispose();
    }
  });

  test('repeated calls leak no tensors', () => {
    const m = model({ layers: 2, embedding: 4 });
    const rng = new Random(2);
    const ids = randomIds(12, rng);
    const labels = randomIds(12, rng);
    const state = m.zeroState(3);
    const run = () => {
      const r = sequenceGradients(m, ids, labels, 3, 4, state, { dropoutMasks: dropoutMaskFactory(0.2, 1, 1) });
      tf.dispose([r.loss, ...Object.values(r.grads), ...r.state.flat()]);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(state.flat());
    m.dispose();
  });

  test('a GRU that resets before the recurrent product is left to autodiff', () => {
    const m = model({ cell: 'gru', layers: 1, embedding: 0, resetAfter: false });
    assert.equal(supportsSequenceGradients(m), false);
    const state = m.zeroState(1);
    assert.throws(() => sequenceGradients(m, new Int32Array(2), new Int32Array(2), 1, 2, state), /not supported/);
    tf.dispose(state.flat());
    m.dispose();
  });
});
