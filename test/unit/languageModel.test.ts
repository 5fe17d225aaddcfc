import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type LanguageModelArchitecture, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { LanguageModel, type LayerState, modelWeightSpecs } from '../../src/engine/languageModel';
import { crossEntropy, unigramEntropy } from '../../src/engine/loss';

before(async () => {
  await initBackend('wasm');
});

const VOCAB = 7;
const HIDDEN = 5;
const LAYERS = 2;
const KINDS: CellKind[] = ['rnn', 'lstm', 'gru'];
const COMPONENTS: Record<CellKind, string[]> = {
  rnn: ['h', 'pre'],
  lstm: ['h', 'c', 'i', 'f', 'g', 'o'],
  gru: ['h', 'z', 'r', 'n'],
};

function arch(cell: CellKind, embeddingSize?: number): LanguageModelArchitecture {
  return makeArchitecture({
    cell,
    level: 'char',
    vocabSize: VOCAB,
    hiddenSize: HIDDEN,
    numLayers: LAYERS,
    ...(embeddingSize !== undefined ? { embeddingSize } : {}),
  });
}

/** Runs `fn` with a fresh model and always disposes it. */
function withModel<T>(a: LanguageModelArchitecture, seed: number, fn: (m: LanguageModel) => T): T {
  const model = LanguageModel.initialize(a, seed);
  try {
    return fn(model);
  } finally {
    model.dispose();
  }
}

const all = () => true;

interface Snapshot {
  logits: Float32Array;
  /** internals[layer][component], [batch, steps, units] flattened. */
  internals: Record<string, Float32Array>[];
  state: Float32Array[][];
}

/** One run from a zero state (or the given state), read back to arrays; no tensors survive. */
function snapshot(model: LanguageModel, ids: number[], batch: number, steps: number, state?: () => LayerState[]): Snapshot {
  return tf.tidy(() => {
    const r = model.run(Int32Array.from(ids), batch, steps, state ? state() : model.zeroState(batch), { collect: all });
    return {
      logits: r.logits!.dataSync() as Float32Array,
      internals: r.internals.map((layer) => Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, v.dataSync() as Float32Array]))),
      state: r.state.map((l) => l.map((t) => t.dataSync() as Float32Array)),
    };
  });
}

function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < actual.length; k++) {
    const d = Math.abs(actual[k]! - expected[k]!);
    assert.ok(d <= tol, `${what}[${k}]: ${actual[k]} vs ${expected[k]} (|diff| ${d.toExponential(2)})`);
  }
}

/** Rows [b, t0..t1) of a [batch, steps, width] or [batch·steps, width] array. */
function stepsOf(values: Float32Array, batch: number, steps: number, width: number, t0: number, t1: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let t = t0; t < t1; t++) out.push(...values.subarray((b * steps + t) * width, (b * steps + t + 1) * width));
  }
  return out;
}

describe('LanguageModel.run shapes', () => {
  for (const cell of KINDS) {
    test(`${cell}: batch 2 × 3 steps gives logits [6, ${VOCAB}] and internals [2, 3, ${HIDDEN}]`, () => {
      withModel(arch(cell), 1, (model) => {
        tf.tidy(() => {
          assert.equal(model.cells.length, LAYERS);
          const ids = Int32Array.from([0, 1, 2, 6, 5, 4]);
          const r = model.run(ids, 2, 3, model.zeroState(2), { collect: all });
          assert.deepEqual(r.logits!.shape, [6, VOCAB]);
          assert.equal(r.internals.length, LAYERS);
          for (let layer = 0; layer < LAYERS; layer++) {
            assert.deepEqual(Object.keys(r.internals[layer]!), COMPONENTS[cell]);
            assert.deepEqual(
              model.components(layer).map((c) => c.id),
              COMPONENTS[cell],
            );
            for (const id of COMPONENTS[cell]) assert.deepEqual(r.internals[layer]![id]!.shape, [2, 3, HIDDEN]);
          }
          assert.equal(r.state.length, LAYERS);
          for (const layerState of r.state) {
            assert.equal(layerState.length, cell === 'lstm' ? 2 : 1);
            for (const s of layerState) assert.deepEqual(s.shape, [2, HIDDEN]);
          }
          // Logits are finite.
          assert.ok([...r.logits!.dataSync()].every(Number.isFinite));
        });
      });
    });

    test(`${cell}: only the requested internals are returned`, () => {
      withModel(arch(cell), 1, (model) => {
        tf.tidy(() => {
          const ids = Int32Array.from([0, 1, 2, 3, 4, 5]);
          const none = model.run(ids, 2, 3, model.zeroState(2));
          assert.deepEqual(none.internals, [{}, {}]);
          const some = model.run(ids, 2, 3, model.zeroState(2), { collect: (layer, c) => layer === 1 && c === 'h' });
          assert.deepEqual(Object.keys(some.internals[0]!), []);
          assert.deepEqual(Object.keys(some.internals[1]!), ['h']);
          // The collected h of the last layer at the last step is the returned state.
          const h = some.internals[1]!.h!.dataSync();
          const last = some.state[1]![0]!.dataSync();
          assert.deepEqual(stepsOf(h as Float32Array, 2, 3, HIDDEN, 2, 3), [...last]);
          const skip = model.run(ids, 2, 3, model.zeroState(2), { skipLogits: true });
          assert.equal(skip.logits, undefined);
        });
      });
    });
  }

  test('a wrong number of ids or a missing layer state is rejected', () => {
    withModel(arch('rnn'), 1, (model) => {
      tf.tidy(() => {
        assert.throws(() => model.run(Int32Array.from([1, 2, 3]), 2, 2, model.zeroState(2)), { message: /expected 4 ids, got 3/ });
        const state = model.zeroState(2).slice(0, 1);
        assert.throws(() => model.run(Int32Array.from([1, 2, 3, 4]), 2, 2, state), { message: /missing state for layer 1/ });
      });
    });
  });
});

describe('LanguageModel.run values', () => {
  test('rnn: logits and internals match a Float64 reference of the stacked Elman network', () => {
    withModel(arch('rnn'), 3, (model) => {
      const w = (name: string) => [...model.weight(name).dataSync()];
      const batch = 2;
      const steps = 3;
      const ids = [3, 0, 6, 1, 1, 5];
      const got = snapshot(model, ids, batch, steps);
      // h^0_t = tanh(K0[id] + h^0_{t-1}·U0 + b0); h^1_t = tanh(h^0_t·K1 + h^1_{t-1}·U1 + b1); logits = h^1_t·Wo + bo.
      const matVec = (v: number[], m: number[], columns: number) =>
        Array.from({ length: columns }, (_, j) => v.reduce((s, x, i) => s + x * m[i * columns + j]!, 0));
      const K0 = w('layers/0/kernel');
      const U0 = w('layers/0/recurrent_kernel');
      const b0 = w('layers/0/bias');
      const K1 = w('layers/1/kernel');
      const U1 = w('layers/1/recurrent_kernel');
      const b1 = w('layers/1/bias');
      const Wo = w('output/kernel');
      const bo = w('output/bias');
      for (let b = 0; b < batch; b++) {
        let h0 = new Array<number>(HIDDEN).fill(0);
        let h1 = new Array<number>(HIDDEN).fill(0);
        for (let t = 0; t < steps; t++) {
          const id = ids[b * steps + t]!;
          const rec0 = matVec(h0, U0, HIDDEN);
          h0 = h0.map((_, j) => Math.tanh(K0[id * HIDDEN + j]! + rec0[j]! + b0[j]!));
          const in1 = matVec(h0, K1, HIDDEN);
          const rec1 = matVec(h1, U1, HIDDEN);
          h1 = h1.map((_, j) => Math.tanh(in1[j]! + rec1[j]! + b1[j]!));
          const logits = matVec(h1, Wo, VOCAB).map((v, k) => v + bo[k]!);
          const row = b * steps + t;
          assertAllClose(got.logits.subarray(row * VOCAB, (row + 1) * VOCAB), logits, 1e-5, `logits row ${row}`);
          assertAllClose(got.internals[0]!.h!.subarray(row * HIDDEN, (row + 1) * HIDDEN), h0, 1e-5, `layer 0 h (${b}, ${t})`);
          assertAllClose(got.internals[1]!.h!.subarray(row * HIDDEN, (row + 1) * HIDDEN), h1, 1e-5, `layer 1 h (${b}, ${t})`);
        }
      }
    });
  });

  for (const cell of KINDS) {
    test(`${cell}: running 6 steps in one call equals 3 + 3 steps with the state carried`, () => {
      withModel(arch(cell), 11, (model) => {
        const batch = 2;
        const ids = [1, 4, 2, 2, 6, 0, 5, 3, 3, 1, 0, 4];
        const whole = snapshot(model, ids, batch, 6);
        const firstIds = [...ids.slice(0, 3), ...ids.slice(6, 9)];
        const secondIds = [...ids.slice(3, 6), ...ids.slice(9, 12)];
        const first = snapshot(model, firstIds, batch, 3);
        const second = snapshot(model, secondIds, batch, 3, () => first.state.map((l) => l.map((v) => tf.tensor2d(v, [batch, HIDDEN]))));
        assertAllClose(stepsOf(whole.logits, batch, 6, VOCAB, 0, 3), first.logits, 1e-5, 'logits, first half');
        assertAllClose(stepsOf(whole.logits, batch, 6, VOCAB, 3, 6), second.logits, 1e-5, 'logits, second half');
        for (let layer = 0; layer < LAYERS; layer++) {
          for (const id of COMPONENTS[cell]) {
            const all6 = whole.internals[layer]![id]!;
            assertAllClose(stepsOf(all6, batch, 6, HIDDEN, 0, 3), first.internals[layer]![id]!, 1e-5, `${layer}/${id} first`);
            assertAllClose(stepsOf(all6, batch, 6, HIDDEN, 3, 6), second.internals[layer]![id]!, 1e-5, `${layer}/${id} second`);
          }
          whole.state[layer]!.forEach((s, k) => assertAllClose(s, second.state[layer]![k]!, 1e-5, `final state ${layer}/${k}`));
        }
        // Carrying the state matters: a fresh start for the second half gives different values.
        const fresh = snapshot(model, secondIds, batch, 3);
        assert.notDeepEqual([...fresh.internals[0]!.h!], [...second.internals[0]!.h!]);
      });
    });

    test(`${cell}: token t's internals and logits do not depend on later tokens or other streams`, () => {
      withModel(arch(cell), 5, (model) => {
        const batch = 2;
        const steps = 4;
        const token = fc.integer({ min: 0, max: VOCAB - 1 });
        fc.assert(
          fc.property(
            fc.array(token, { minLength: batch * steps, maxLength: batch * steps }),
            fc.integer({ min: 0, max: steps - 2 }),
            fc.array(token, { minLength: batch * steps, maxLength: batch * steps }),
            (ids, t, replacement) => {
              // Change every token of stream 0 after t, and the whole of stream 1.
              const changed = ids.map((id, k) => {
                const b = Math.floor(k / steps);
                const s = k % steps;
                return b === 1 || s > t ? (id + 1 + (replacement[k]! % (VOCAB - 1))) % VOCAB : id;
              });
              const a = snapshot(model, ids, batch, steps);
              const c = snapshot(model, changed, batch, steps);
              const stream0 = (v: Float32Array, width: number, t0: number, t1: number) => stepsOf(v, 1, steps, width, t0, t1);
              assertAllClose(stream0(c.logits, VOCAB, 0, t + 1), stream0(a.logits, VOCAB, 0, t + 1), 1e-6, 'logits');
              for (let layer = 0; layer < LAYERS; layer++) {
                for (const id of COMPONENTS[cell]) {
                  const before = stream0(a.internals[layer]![id]!, HIDDEN, 0, t + 1);
                  assertAllClose(stream0(c.internals[layer]![id]!, HIDDEN, 0, t + 1), before, 1e-6, `${layer}/${id}`);
                }
              }
              // The change is visible right after t (so the comparison above is not vacuous).
              assert.notDeepEqual(stream0(c.internals[0]!.h!, HIDDEN, t + 1, t + 2), stream0(a.internals[0]!.h!, HIDDEN, t + 1, t + 2));
            },
          ),
          { seed: 42, numRuns: 8 },
        );
      });
    });

    test(`${cell}: repeated run() under tf.tidy does not grow the tensor count`, () => {
      withModel(arch(cell), 2, (model) => {
        const ids = Int32Array.from([0, 1, 2, 3, 4, 5]);
        const cycle = () =>
          tf.tidy(() => {
            const r = model.run(ids, 2, 3, model.zeroState(2), { collect: all });
            r.logits!.dataSync();
          });
        cycle(); // warm-up (lazily created backend tensors, if any)
        const before = tf.memory().numTensors;
        for (let i = 0; i < 20; i++) {
          cycle();
          assert.equal(tf.memory().numTensors, before, `after cycle ${i + 1}`);
        }
      });
    });
  }
});

describe('LanguageModel weights', () => {
  const G: Record<CellKind, number> = { rnn: 1, lstm: 4, gru: 3 };

  for (const cell of KINDS) {
    test(`${cell}: the same seed gives identical weights, another seed different ones`, () => {
      const read = (m: LanguageModel) => new Map([...m.weights].map(([k, v]) => [k, [...v.dataSync()]]));
      const a = withModel(arch(cell), 7, read);
      const b = withModel(arch(cell), 7, read);
      const c = withModel(arch(cell), 8, read);
      assert.deepEqual(
        [...a.keys()],
        modelWeightSpecs(arch(cell)).map((s) => s.name),
      );
      assert.deepEqual(a, b);
      for (const name of a.keys()) {
        // Biases start at fixed values; every kernel is drawn from the seed.
        if (name.endsWith('kernel')) assert.notDeepEqual(a.get(name), c.get(name), `${name} differs between seeds`);
      }
    });

    test(`${cell}: parameterCount is the sum of the weight sizes`, () => {
      withModel(arch(cell), 1, (model) => {
        const g = G[cell] * HIDDEN;
        const recurrentBias = cell === 'gru' ? g : 0; // makeArchitecture uses resetAfter
        const layer = (input: number) => input * g + HIDDEN * g + g + recurrentBias;
        const expected = layer(VOCAB) + layer(HIDDEN) + HIDDEN * VOCAB + VOCAB;
        assert.equal(model.parameterCount(), expected);
        assert.equal(
          model.parameterCount(),
          [...model.weights.values()].reduce((s, w) => s + w.size, 0),
        );
        assert.equal(model.parameterCount(), { rnn: 162, lstm: 522, gru: 432 }[cell]);
        assert.equal(model.trainableVariables.length, model.weights.size);
        assert.ok(model.trainableVariables.every((v) => v.trainable));
      });
    });
  }

  test('initial weights follow the documented scheme', () => {
    withModel(arch('lstm', 4), 9, (model) => {
      const bound = 1 / Math.sqrt(HIDDEN);
      for (const [name, v] of model.weights) {
        const values = [...v.dataSync()];
        if (name.endsWith('kernel')) {
          assert.ok(
            values.every((x) => Math.abs(x) <= bound),
            `${name} within ±1/√${HIDDEN}`,
          );
          assert.ok(values.some((x) => x !== 0));
        }
      }
      // LSTM bias: zero except the forget-gate block [units, 2·units), which is 1.
      for (let layer = 0; layer < LAYERS; layer++) {
        const bias = [...model.weight(`layers/${layer}/bias`).dataSync()];
        assert.deepEqual(
          bias,
          Array.from({ length: 4 * HIDDEN }, (_, k) => (k >= HIDDEN && k < 2 * HIDDEN ? 1 : 0)),
        );
      }
      assert.ok([...model.weight('output/bias').dataSync()].every((x) => x === 0));
      const embedding = [...model.weight('embedding').dataSync()];
      assert.equal(embedding.length, VOCAB * 4);
      // N(0, 1): some entries fall outside the uniform kernels' range.
      assert.ok(embedding.some((x) => Math.abs(x) > 1));
    });
  });

  test('the constructor rejects a missing or misshapen weight with its name, and accepts cloned weights', () => {
    const a = arch('rnn');
    const weights = withModel(a, 1, (m) => new Map([...m.weights].map(([k, v]) => [k, tf.clone(v) as tf.Tensor])));
    // The first weight is the one checked, so no variable has been created when these throw.
    const kernel = weights.get('layers/0/kernel')!;
    weights.delete('layers/0/kernel');
    assert.throws(() => new LanguageModel(a, weights), { message: 'Weight "layers/0/kernel" is missing' });
    const wrong = tf.zeros([VOCAB + 1, HIDDEN]);
    weights.set('layers/0/kernel', wrong);
    assert.throws(() => new LanguageModel(a, weights), {
      message: `Weight "layers/0/kernel" has shape [${VOCAB + 1}, ${HIDDEN}], expected [${VOCAB}, ${HIDDEN}]`,
    });
    weights.set('layers/0/kernel', kernel);
    const model = new LanguageModel(a, weights);
    assert.equal(model.parameterCount(), 162);
    // The model owns copies: disposing the inputs leaves it usable.
    tf.dispose([...weights.values(), wrong]);
    const logits = tf.tidy(() => model.run(Int32Array.from([1, 2]), 1, 2, model.zeroState(1)).logits!.dataSync());
    assert.equal(logits.length, 2 * VOCAB);
    model.dispose();
  });
});

describe('LanguageModel with an embedding', () => {
  for (const cell of KINDS) {
    test(`${cell}: embeddingSize 4 runs and trains every weight`, () => {
      withModel(arch(cell, 4), 4, (model) => {
        assert.deepEqual([...model.weight('embedding').shape], [VOCAB, 4]);
        assert.deepEqual([...model.weight('layers/0/kernel').shape], [4, { rnn: 1, lstm: 4, gru: 3 }[cell] * HIDDEN]);
        const ids = Int32Array.from([0, 1, 2, 2, 1, 0]); // ids 3..6 unused
        const labels = Int32Array.from([1, 2, 3, 1, 0, 6]);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => {
          const r = model.run(ids, 2, 3, model.zeroState(2), { collect: all });
          for (const layer of r.internals) for (const v of Object.values(layer)) assert.deepEqual(v.shape, [2, 3, HIDDEN]);
          assert.deepEqual(r.logits!.shape, [6, VOCAB]);
          return crossEntropy(r.logits!, labels);
        }, model.trainableVariables);
        const loss = value.dataSync()[0]!;
        assert.ok(Number.isFinite(loss) && loss > 0);
        for (const v of model.trainableVariables) {
          const g = grads[v.name];
          assert.ok(g, `gradient for ${v.name}`);
          assert.deepEqual(g.shape, v.shape);
          const values = [...g.dataSync()];
          assert.ok(values.every(Number.isFinite), `${v.name} gradient is finite`);
          assert.ok(
            values.some((x) => x !== 0),
            `${v.name} gradient is not all zero`,
          );
        }
        // Embedding rows of ids that never occur get no gradient; used rows do.
        const ge = grads[model.weight('embedding').name]!.dataSync();
        for (let row = 0; row < VOCAB; row++) {
          const rowGrad = [...ge.subarray(row * 4, (row + 1) * 4)];
          if (row <= 2)
            assert.ok(
              rowGrad.some((x) => x !== 0),
              `embedding row ${row} used`,
            );
          else assert.deepEqual(rowGrad, [0, 0, 0, 0], `embedding row ${row} unused`);
        }
        tf.dispose([value, ...Object.values(grads)]);
        assert.equal(tf.memory().numTensors, before);
      });
    });
  }

  test('one-hot model: kernel rows of unused ids get no gradient', () => {
    withModel(arch('gru'), 4, (model) => {
      const ids = Int32Array.from([5, 5, 1, 1, 5, 1]);
      const labels = Int32Array.from([1, 2, 3, 1, 0, 6]);
      const kernel = model.weight('layers/0/kernel');
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.run(ids, 2, 3, model.zeroState(2)).logits!, labels), [kernel]);
      const g = grads[kernel.name]!.dataSync();
      const width = 3 * HIDDEN;
      for (let row = 0; row < VOCAB; row++) {
        const nonZero = [...g.subarray(row * width, (row + 1) * width)].some((x) => x !== 0);
        assert.equal(nonZero, row === 1 || row === 5, `row ${row}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
  });

  test('dropout masks multiply the layer inputs and the last output', () => {
    withModel(arch('lstm', 4), 4, (model) => {
      tf.tidy(() => {
        const ids = Int32Array.from([0, 1, 2, 3, 4, 5]);
        const sites: [number, number, number][] = [];
        const r = model.run(ids, 2, 3, model.zeroState(2), {
          dropoutMasks: (site, rows, width) => {
            sites.push([site, rows, width]);
            // Drop the whole output of the last layer.
            return site === LAYERS ? (tf.zeros([rows, width]) as tf.Tensor2D) : undefined;
          },
        });
        assert.deepEqual(sites, [
          [0, 6, 4],
          [1, 6, HIDDEN],
          [2, 6, HIDDEN],
        ]);
        // With the last output zeroed, every logits row is the output bias (zero at initialisation).
        const bias = [...model.weight('output/bias').dataSync()];
        const logits = r.logits!.dataSync();
        for (let row = 0; row < 6; row++) assert.deepEqual([...logits.subarray(row * VOCAB, (row + 1) * VOCAB)], bias);
      });
    });
  });
});

describe('loss', () => {
  test('crossEntropy is the mean negative log-softmax of the labels', () => {
    const logitValues = [
      [0, 0, 0],
      [1, 2, 3],
    ];
    const labels = Int32Array.from([2, 0]);
    const got = tf.tidy(() => crossEntropy(tf.tensor2d(logitValues), labels).dataSync()[0]!);
    const nll = logitValues.map((row, i) => {
      const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
      return lse - row[labels[i]!]!;
    });
    assert.ok(Math.abs(got - (nll[0]! + nll[1]!) / 2) < 1e-5, `${got}`);
    const uniform = tf.tidy(() => crossEntropy(tf.zeros([4, VOCAB]) as tf.Tensor2D, Int32Array.from([0, 1, 2, 6])).dataSync()[0]!);
    assert.ok(Math.abs(uniform - Math.log(VOCAB)) < 1e-5);
  });

  test('unigramEntropy is the empirical entropy in bits', () => {
    assert.equal(unigramEntropy([0, 0, 1, 1]), 1);
    assert.equal(unigramEntropy([3, 3, 3]), 0);
    assert.ok(Math.abs(unigramEntropy([0, 1, 2, 3]) - 2) < 1e-12);
    assert.ok(Math.abs(unigramEntropy([0, 0, 0, 1]) - (-(0.75 * Math.log2(0.75)) - 0.25 * Math.log2(0.25))) < 1e-12);
  });
});
