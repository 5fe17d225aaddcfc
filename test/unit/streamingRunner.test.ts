import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import type { ActivationName } from '../../src/engine/cells/activationFunctions';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { ArrayRunner } from '../../src/engine/inference/arrayRunner';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import { PANEL, createMatVecKernel, packPanels, padToPanel, simdSupported } from '../../src/engine/inference/matVecKernel';
import type { ComponentSink, StreamingRunner } from '../../src/engine/inference/streamingRunner';
import { TfjsRunner } from '../../src/engine/inference/tfjsRunner';
import { LanguageModel } from '../../src/engine/languageModel';
import { Random } from '../../src/engine/random';

before(async () => {
  await initBackend('wasm');
});

function uniform(rng: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * scale);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let max = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k]! - b[k]!);
    if (!(d <= max)) max = d; // NaN propagates as a failure
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// The kernel
// ---------------------------------------------------------------------------------------------

describe('matrix-vector kernel', () => {
  test('this Node has WebAssembly SIMD, so the SIMD path is the one under test', () => {
    assert.equal(simdSupported(), true);
    assert.equal(createMatVecKernel(16).simd, true);
    assert.equal(createMatVecKernel(16, false).simd, false);
  });

  /** Packs a random rows × cols matrix and runs bias + x·W in both kernels; returns what they and a float64 loop give. */
  function product(rows: number, cols: number, seed: number, inPlace = false) {
    const rng = new Random(seed);
    const w = uniform(rng, rows * cols);
    const x = uniform(rng, rows);
    const bias = uniform(rng, cols);
    const padded = padToPanel(cols);
    const columns = Int32Array.from({ length: padded }, (_, j) => (j < cols ? j : -1));
    const expected = Array.from(bias, (b, j) => {
      let s = b;
      for (let k = 0; k < rows; k++) s += x[k]! * w[k * cols + j]!;
      return s;
    });
    // x deliberately at an odd address: only it may be unaligned.
    const [wAt, biasAt, outAt, xAt] = [0, rows * padded, rows * padded + padded, rows * padded + 2 * padded + 1];
    const results = [true, false].map((simd) => {
      const kernel = createMatVecKernel(xAt + rows, simd);
      packPanels(kernel.heap, wAt, w, rows, cols, columns);
      packPanels(kernel.heap, biasAt, bias, 1, cols, columns);
      kernel.heap.set(x, xAt);
      const out = inPlace ? biasAt : outAt;
      kernel.matVec(xAt, rows, wAt, padded / PANEL, biasAt, out);
      return { values: kernel.heap.slice(out, out + cols), padding: kernel.heap.slice(out + cols, out + padded) };
    });
    return { expected, simd: results[0]!, js: results[1]! };
  }

  for (const [rows, cols] of [
    [1, 1],
    [1, 5],
    [2, 16],
    [5, 5],
    [7, 30],
    [30, 30],
    [30, 5],
    [257, 257],
    [256, 1024],
  ] as const) {
    test(`${rows} × ${cols}: equals a float64 loop, and the JavaScript twin gives the same bits`, () => {
      const { expected, simd, js } = product(rows, cols, rows * 1000 + cols);
      assert.ok(maxAbsDiff(simd.values, expected) <= 1e-5 * Math.sqrt(rows), `SIMD off by ${maxAbsDiff(simd.values, expected)}`);
      assert.deepEqual(simd.values, js.values);
      assert.ok(
        simd.padding.every((v) => v === 0),
        'padding columns stay zero',
      );
    });
  }

  test('accumulates in place when out is the bias', () => {
    const separate = product(9, 40, 5);
    const inPlace = product(9, 40, 5, true);
    assert.deepEqual(inPlace.simd.values, separate.simd.values);
    assert.deepEqual(inPlace.js.values, separate.js.values);
  });

  test('a run of whole panels is a matrix of its own (GRU multiplies by U_n alone)', () => {
    const rng = new Random(11);
    const [rows, cols] = [6, 3 * PANEL];
    const w = uniform(rng, rows * cols);
    const x = uniform(rng, rows);
    const columns = Int32Array.from({ length: cols }, (_, j) => j);
    for (const simd of [true, false]) {
      const kernel = createMatVecKernel(rows * cols + 2 * cols + rows, simd);
      const [biasAt, outAt, xAt] = [rows * cols, rows * cols + cols, rows * cols + 2 * cols];
      packPanels(kernel.heap, 0, w, rows, cols, columns);
      kernel.heap.set(x, xAt);
      kernel.matVec(xAt, rows, 0, 3, biasAt, outAt);
      const whole = kernel.heap.slice(outAt, outAt + cols);
      kernel.matVec(xAt, rows, rows * 2 * PANEL, 1, biasAt, outAt);
      assert.deepEqual(kernel.heap.slice(outAt, outAt + PANEL), whole.slice(2 * PANEL));
    }
  });

  test('packPanels rejects a width that is not whole panels', () => {
    assert.throws(() => packPanels(new Float32Array(64), 0, new Float32Array(10), 2, 5, new Int32Array(5)), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// The runner against the tfjs model
// ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  cell: CellKind;
  units: [number, ...number[]];
  embeddingSize: number;
  resetAfter?: boolean;
  activation?: ActivationName;
  recurrentActivation?: ActivationName;
  /**
   * Multiplies every weight: up to reach the saturated and clipped regions of the gates, down to
   * keep unbounded activations (relu, linear) from growing without limit.
   */
  gain?: number;
}

const VOCAB = 23;

const CASES: Case[] = [
  { name: 'RNN, one-hot', cell: 'rnn', units: [7, 13], embeddingSize: 0 },
  { name: 'RNN, embedding, relu', cell: 'rnn', units: [5, 9], embeddingSize: 6, activation: 'relu', gain: 0.4 },
  { name: 'RNN, one-hot, linear', cell: 'rnn', units: [17], embeddingSize: 0, activation: 'linear', gain: 0.4 },
  { name: 'LSTM, one-hot', cell: 'lstm', units: [7, 13], embeddingSize: 0, gain: 2 },
  {
    name: 'LSTM, embedding, hardSigmoid gates',
    cell: 'lstm',
    units: [13, 5],
    embeddingSize: 6,
    recurrentActivation: 'hardSigmoid',
    gain: 2,
  },
  { name: 'LSTM, one-hot, 257 units', cell: 'lstm', units: [257], embeddingSize: 0 },
  { name: 'GRU resetAfter, one-hot', cell: 'gru', units: [7, 13], embeddingSize: 0, resetAfter: true, gain: 2 },
  { name: 'GRU resetAfter, embedding', cell: 'gru', units: [30, 6], embeddingSize: 4, resetAfter: true },
  { name: 'GRU reset before, one-hot', cell: 'gru', units: [7, 13], embeddingSize: 0, resetAfter: false, gain: 2 },
  {
    name: 'GRU reset before, embedding, hardSigmoid gates',
    cell: 'gru',
    units: [13, 33],
    embeddingSize: 5,
    resetAfter: false,
    recurrentActivation: 'hardSigmoid',
  },
];

function buildModel(c: Case, seed = 1): LanguageModel {
  const arch = makeArchitecture({
    cell: c.cell,
    level: 'char',
    vocabSize: VOCAB,
    hiddenSize: c.units[0],
    numLayers: c.units.length,
    embeddingSize: c.embeddingSize,
  });
  arch.layers = c.units.map((units) => ({
    units,
    activation: c.activation ?? 'tanh',
    recurrentActivation: c.recurrentActivation ?? 'sigmoid',
    resetAfter: c.resetAfter ?? true,
  }));
  const model = LanguageModel.initialize(arch, seed);
  // The initial biases are zero (forget gate: one): give every weight random values so that each
  // bias, and each gate's own block of every matrix, shows up in the result.
  const rng = new Random(seed + 100);
  for (const [name, w] of model.weights) {
    if (name.startsWith('output/')) continue;
    const scale = (name === 'embedding' ? 1 : 1 / Math.sqrt(c.units[0])) * (c.gain ?? 1);
    tf.tidy(() => w.assign(tf.tensor(uniform(rng, w.size, name.endsWith('bias') ? 0.5 : 2 * scale), w.shape)));
  }
  return model;
}

function randomIds(n: number, seed: number): Int32Array {
  const rng = new Random(seed);
  return Int32Array.from({ length: n }, () => rng.int(VOCAB));
}

/** A sink for every component of every layer. */
function allSinks(runner: StreamingRunner, steps: number): ComponentSink[] {
  return runner.layerUnits.flatMap((units, layer) =>
    runner.components(layer).map((c) => ({ layer, component: c.id, out: new Float32Array(steps * units) })),
  );
}

function record(runner: StreamingRunner, ids: Int32Array, initial: Float32Array) {
  const state = initial.slice();
  const sinks = allSinks(runner, ids.length);
  runner.run(ids, state, sinks);
  return { state, sinks };
}

describe('ArrayRunner matches TfjsRunner', () => {
  for (const c of CASES) {
    test(c.name, (t) => {
      const model = buildModel(c);
      const tfjs = new TfjsRunner(model);
      const simd = new ArrayRunner(model);
      const js = new ArrayRunner(model, { simd: false });
      assert.equal(simd.simd, true);
      assert.equal(js.simd, false);
      const ids = randomIds(c.units[0] > 100 ? 12 : 40, 7);
      // From a random state too, which checks the state layout ([h] or [h, c] per layer).
      const rng = new Random(3);
      let worst = 0;
      for (const initial of [tfjs.zeroState(), uniform(rng, tfjs.stateLength, 0.9)]) {
        const expected = record(tfjs, ids, initial);
        const got = record(simd, ids, initial);
        const twin = record(js, ids, initial);
        expected.sinks.forEach((sink, k) => {
          const diff = maxAbsDiff(got.sinks[k]!.out, sink.out);
          assert.ok(diff <= 1e-4, `layer ${sink.layer} ${sink.component}: max |diff| ${diff}`);
          worst = Math.max(worst, diff);
          assert.deepEqual(twin.sinks[k]!.out, got.sinks[k]!.out, `JavaScript twin, layer ${sink.layer} ${sink.component}`);
        });
        const stateDiff = maxAbsDiff(got.state, expected.state);
        assert.ok(stateDiff <= 1e-4, `final state: max |diff| ${stateDiff}`);
        assert.deepEqual(twin.state, got.state);
      }
      t.diagnostic(`max |ArrayRunner − TfjsRunner| over every component: ${worst.toExponential(2)}`);
      simd.dispose();
      js.dispose();
      model.dispose();
    });
  }

  test('the hardSigmoid and gain fixtures reach saturated gates', () => {
    const model = buildModel(CASES[4]!);
    const runner = new ArrayRunner(model);
    const { sinks } = record(runner, randomIds(40, 7), runner.zeroState());
    const gates = sinks.filter((s) => ['i', 'f', 'o'].includes(s.component)).flatMap((s) => [...s.out]);
    assert.ok(gates.some((v) => v === 0) && gates.some((v) => v === 1));
    model.dispose();
  });
});

describe('ArrayRunner', () => {
  test('ids in two calls with the state carried give the bits of one call, with or without a projection table', () => {
    for (const c of [CASES[1]!, CASES[4]!, CASES[6]!, CASES[9]!]) {
      const model = buildModel(c);
      const ids = randomIds(50, 9);
      const whole = new ArrayRunner(model);
      const once = record(whole, ids, whole.zeroState());
      for (const runner of [new ArrayRunner(model), new ArrayRunner(model, { projectionTableLimit: 0 })]) {
        const state = runner.zeroState();
        const sinks = allSinks(runner, ids.length);
        runner.run(ids.subarray(0, 17), state, sinks);
        runner.run(ids.subarray(17), state, sinks, 17);
        assert.deepEqual(state, once.state, `${c.name}: state`);
        sinks.forEach((s, k) => assert.deepEqual(s.out, once.sinks[k]!.out, `${c.name}: layer ${s.layer} ${s.component}`));
        runner.dispose();
      }
      whole.dispose();
      model.dispose();
    }
  });

  test('zeroState, layerUnits and components describe the model like TfjsRunner', () => {
    for (const c of [CASES[0]!, CASES[3]!, CASES[6]!]) {
      const model = buildModel(c);
      const runner = new ArrayRunner(model);
      const reference = new TfjsRunner(model);
      const stateSize = c.cell === 'lstm' ? 2 : 1;
      assert.equal(runner.stateLength, stateSize * c.units.reduce((a, b) => a + b, 0));
      assert.equal(runner.stateLength, reference.stateLength);
      assert.deepEqual(runner.layerUnits, c.units);
      const zero = runner.zeroState();
      assert.ok(zero instanceof Float32Array);
      assert.equal(zero.length, runner.stateLength);
      assert.ok(zero.every((v) => v === 0));
      c.units.forEach((_, layer) => assert.deepEqual(runner.components(layer), model.components(layer)));
      assert.throws(() => runner.components(c.units.length), RangeError);
      runner.dispose();
      model.dispose();
    }
  });

  test('writes only the sinks asked for, at outOffset', () => {
    const model = buildModel(CASES[3]!);
    const runner = new ArrayRunner(model);
    const ids = randomIds(6, 1);
    const full = record(runner, ids, runner.zeroState());
    const fOut = new Float32Array(10 * 13).fill(-7);
    runner.run(ids, runner.zeroState(), [{ layer: 1, component: 'f', out: fOut }], 3);
    const expected = full.sinks.find((s) => s.layer === 1 && s.component === 'f')!.out;
    assert.deepEqual(fOut.subarray(3 * 13, 9 * 13), expected);
    assert.ok(fOut.subarray(0, 3 * 13).every((v) => v === -7) && fOut.subarray(9 * 13).every((v) => v === -7));
    model.dispose();
  });

  test('rejects bad ids, components, sinks and states before touching anything', () => {
    const model = buildModel(CASES[0]!);
    const runner = new ArrayRunner(model);
    const state = runner.zeroState().fill(0.5);
    const sink = { layer: 0, component: 'h', out: new Float32Array(3 * 7) };
    assert.throws(() => runner.run(Int32Array.of(1, VOCAB, 2), state, [sink]), /outside the vocabulary/);
    assert.throws(() => runner.run(Int32Array.of(1, -1), state, [sink]), /outside the vocabulary/);
    assert.throws(() => runner.run(Int32Array.of(1), state, [{ ...sink, component: 'c' }]), /no component "c"/);
    assert.throws(() => runner.run(Int32Array.of(1), state, [{ ...sink, layer: 2 }]), /layer 2/);
    assert.throws(() => runner.run(Int32Array.of(1, 2), state, [sink], 2), /fewer than 4 rows/);
    assert.throws(() => runner.run(Int32Array.of(1), new Float32Array(3), [sink]), /state has 3 values/);
    assert.ok(state.every((v) => v === 0.5));
    assert.ok(sink.out.every((v) => v === 0));
    runner.run(new Int32Array(0), state, [sink]);
    assert.ok(
      state.every((v) => v === 0.5),
      'no ids, no change',
    );
    model.dispose();
  });

  test('holds no tfjs tensors, and refuses to run once disposed', () => {
    const model = buildModel(CASES[4]!);
    const before = tf.memory().numTensors;
    const runner = new ArrayRunner(model);
    record(runner, randomIds(20, 2), runner.zeroState());
    runner.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => runner.run(Int32Array.of(1), runner.zeroState(), []), /disposed/);
    model.dispose();
  });

  test('createStreamingRunner gives the array runner', () => {
    const model = buildModel(CASES[0]!);
    const runner = createStreamingRunner(model);
    assert.ok(runner instanceof ArrayRunner);
    runner.dispose();
    model.dispose();
  });
});
