import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ClassifierArchitecture, type DirectionMerge, type LayerSpec, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { ArrayRunner, arrayRunnerLimitation } from '../../src/engine/inference/arrayRunner';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import type { ComponentSink, StreamingRunner } from '../../src/engine/inference/streamingRunner';
import { TfjsRunner } from '../../src/engine/inference/tfjsRunner';
import { LanguageModel } from '../../src/engine/languageModel';
import { Random } from '../../src/engine/random';
import { maxDiff } from './layersModelFiles';

const VOCAB = 23;
/** What the array runner must give, next to the tfjs ops, for every component at every token. */
const TOLERANCE = 2e-5;
const LENGTHS = [1, 2, 300];

/** The layer stacks under test: B a bidirectional layer, F a forward one, bottom first. */
const STACKS = ['B', 'BF', 'FB', 'BB'] as const;
type Stack = (typeof STACKS)[number];

interface Case {
  cell: CellKind;
  resetAfter: boolean;
  merge: DirectionMerge;
  stack: Stack;
  /** 0: one-hot inputs. */
  embeddingSize: number;
  hardSigmoid: boolean;
}

const CELLS: { cell: CellKind; resetAfter: boolean; name: string }[] = [
  { cell: 'lstm', resetAfter: true, name: 'LSTM' },
  { cell: 'gru', resetAfter: true, name: 'GRU reset after' },
  { cell: 'gru', resetAfter: false, name: 'GRU reset before' },
  { cell: 'rnn', resetAfter: true, name: 'SimpleRNN' },
];
const MERGES: DirectionMerge[] = ['concat', 'sum', 'ave', 'mul'];

/** Every cell with every merge; the stacks rotate so that each cell and each merge meets all four. */
const CASES: (Case & { name: string })[] = CELLS.flatMap((c, i) =>
  MERGES.map((merge, j) => {
    const stack = STACKS[(i + j) % STACKS.length]!;
    const embeddingSize = (i + j) % 2 === 0 ? 6 : 0;
    const hardSigmoid = j % 2 === 1;
    return {
      ...c,
      merge,
      stack,
      embeddingSize,
      hardSigmoid,
      name: `${c.name}, merge ${merge}, ${stack.split('').join(' → ')}, ${embeddingSize ? 'embedding' : 'one-hot'}${hardSigmoid ? ', hardSigmoid gates' : ''}`,
    };
  }),
);

/**
 * A classifier with the case's layers and random weights (biases too, both directions' own).
 * Matrices are scaled by each layer's width so that the recurrences contract (spectral radius
 * about 0.9), as trained ones mostly do. Chaotic weights amplify float32 rounding along a text:
 * with 1.5/√7 on an 18-unit SimpleRNN, tfjs' own cpu and wasm backends then differ by 3e-5 after
 * 300 tokens, so no runner could be held to 2e-5 there.
 */
function buildModel(c: Case, seed: number, units = [7, 18]): LanguageModel {
  const base = makeArchitecture({
    cell: c.cell,
    level: 'char',
    vocabSize: VOCAB,
    hiddenSize: units[0]!,
    embeddingSize: c.embeddingSize,
    classifier: { classes: ['a', 'b'] },
  }) as ClassifierArchitecture;
  const layers = c.stack.split('').map((kind, i): LayerSpec => ({
    units: units[i]!,
    activation: 'tanh',
    recurrentActivation: c.hardSigmoid ? 'hardSigmoid' : 'sigmoid',
    resetAfter: c.resetAfter,
    ...(kind === 'B' ? { direction: 'bidirectional', merge: c.merge } : {}),
  }));
  const model = LanguageModel.initialize({ ...base, maxTokens: 1000, layers }, seed);
  const rng = new Random(seed + 100);
  for (const [name, w] of model.weights) {
    if (name.startsWith('output/')) continue;
    const layer = Number(/^layers\/(\d+)\//.exec(name)?.[1] ?? 0);
    const scale = name === 'embedding' ? 1 : name.endsWith('bias') ? 0.5 : 1.5 / Math.sqrt(units[layer]!);
    tf.tidy(() =>
      w.assign(
        tf.tensor(
          Float32Array.from({ length: w.size }, () => (2 * rng.next() - 1) * scale),
          w.shape,
        ),
      ),
    );
  }
  return model;
}

function randomIds(n: number, seed: number): Int32Array {
  const rng = new Random(seed);
  return Int32Array.from({ length: n }, () => rng.int(VOCAB));
}

/** Every component of every layer (backward ones included), one text from the zero state. */
function record(runner: StreamingRunner, ids: Int32Array): { state: Float32Array; sinks: ComponentSink[] } {
  const state = runner.zeroState();
  const sinks = runner.layerUnits.flatMap((units, layer) =>
    runner.components(layer).map((c) => ({ layer, component: c.id, out: new Float32Array(ids.length * units) })),
  );
  runner.run(ids, state, sinks);
  return { state, sinks };
}

describe('ArrayRunner on models with bidirectional layers', () => {
  before(async () => {
    assert.equal(await initBackend('wasm'), 'wasm');
  });

  for (const [n, c] of CASES.entries()) {
    test(`${c.name}: every component, forward and backward, equals the tfjs path on 1, 2 and 300 tokens`, (t) => {
      const model = buildModel(c, 10 + n);
      const before = tf.memory().numTensors;
      const tfjs = new TfjsRunner(model);
      const simd = new ArrayRunner(model);
      const js = new ArrayRunner(model, { simd: false });
      const noTable = new ArrayRunner(model, { projectionTableLimit: 0 });
      assert.equal(simd.causal, false);
      assert.deepEqual(
        simd.layerUnits.map((_, l) => simd.components(l)),
        tfjs.layerUnits.map((_, l) => tfjs.components(l)),
      );
      let worst = 0;
      for (const length of LENGTHS) {
        const ids = randomIds(length, 7 + length);
        const expected = record(tfjs, ids);
        const got = record(simd, ids);
        // Both directions of each bidirectional layer and the layers above them are recorded.
        const backward = got.sinks.filter((s) => s.component.startsWith('backward/'));
        const perCell = { lstm: 6, gru: 4, rnn: 2 }[c.cell];
        assert.equal(backward.length, c.stack.replaceAll('F', '').length * perCell);
        expected.sinks.forEach((sink, k) => {
          const diff = maxDiff(got.sinks[k]!.out, sink.out);
          assert.ok(diff <= TOLERANCE, `${length} tokens, layer ${sink.layer} ${sink.component}: max |diff| ${diff}`);
          worst = Math.max(worst, diff);
        });
        // The forward cells' last states, as the tfjs runner leaves them.
        assert.ok(
          maxDiff(got.state, expected.state) <= TOLERANCE,
          `${length} tokens: final state differs by ${maxDiff(got.state, expected.state)}`,
        );
        // The JavaScript twin and the per-token projections (no table) give the same bits.
        for (const other of [js, noTable]) {
          const twin = record(other, ids);
          twin.sinks.forEach((s, k) => assert.deepEqual(s.out, got.sinks[k]!.out, `${length} tokens, layer ${s.layer} ${s.component}`));
          assert.deepEqual(twin.state, got.state);
        }
      }
      t.diagnostic(`max |ArrayRunner − TfjsRunner| over every component: ${worst.toExponential(2)}`);
      for (const runner of [tfjs, simd, js, noTable]) runner.dispose();
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      model.dispose();
    });
  }

  test('wider layers (several kernel panels per gate): Bidirectional(LSTM 40, concat) → LSTM 33 equals tfjs on 300 tokens', () => {
    const c: Case = { cell: 'lstm', resetAfter: true, merge: 'concat', stack: 'BF', embeddingSize: 9, hardSigmoid: false };
    const model = buildModel(c, 3, [40, 33]);
    const ids = randomIds(300, 4);
    const expected = record(new TfjsRunner(model), ids);
    const runner = new ArrayRunner(model);
    const got = record(runner, ids);
    expected.sinks.forEach((sink, k) => {
      const diff = maxDiff(got.sinks[k]!.out, sink.out);
      assert.ok(diff <= TOLERANCE, `layer ${sink.layer} ${sink.component}: max |diff| ${diff}`);
    });
    runner.dispose();
    model.dispose();
  });

  test('the backward direction is not the forward one: its first and last tokens differ and row t depends on later tokens', () => {
    const model = buildModel(CASES[0]!, 5);
    const runner = new ArrayRunner(model);
    const ids = randomIds(12, 1);
    const values = (text: Int32Array, component: string) => {
      const out = new Float32Array(text.length * 7);
      runner.run(text, runner.zeroState(), [{ layer: 0, component, out }]);
      return out;
    };
    const edited = ids.slice();
    edited[11] = (ids[11]! + 1) % VOCAB;
    // Changing the last token moves the backward h at token 0 and leaves the forward h there alone.
    assert.ok(maxDiff(values(ids, 'backward/h').subarray(0, 7), values(edited, 'backward/h').subarray(0, 7)) > 1e-4);
    assert.deepEqual(values(ids, 'h').subarray(0, 77), values(edited, 'h').subarray(0, 77));
    runner.dispose();
    model.dispose();
  });

  test('refuses what needs a causal model and bad sinks before touching state or sinks', () => {
    const model = buildModel(CASES[1]!, 6);
    const runner = new ArrayRunner(model);
    const ids = randomIds(5, 2);
    const sink = { layer: 0, component: 'backward/h', out: new Float32Array(5 * 7).fill(-3) };
    const state = runner.zeroState();
    assert.throws(
      () => runner.run(ids, state, [sink], 1),
      /Continuing a text from a state is not supported for a model with a bidirectional layer: its backward direction reads every token after each position/,
    );
    assert.throws(
      () =>
        runner.run(
          ids,
          state.map(() => 0.5),
          [sink],
        ),
      /Continuing a text from a state is not supported/,
    );
    assert.throws(() => runner.run(ids, state, [sink], 0, () => undefined), /Intervening on the recurrent state is not supported/);
    assert.throws(() => runner.run(ids, state, [{ ...sink, component: 'backward/z' }]), /layer 0 has no component "backward\/z"/);
    assert.throws(() => runner.run(ids, state, [{ ...sink, layer: 1, component: 'backward/h' }]), /layer 1 has no component "backward\/h"/);
    assert.throws(() => runner.run(ids, state, [{ ...sink, out: new Float32Array(4 * 7) }]), /fewer than 5 rows/);
    assert.throws(() => runner.run(Int32Array.of(1, VOCAB), state, [sink]), /id 23 at 1 is outside the vocabulary/);
    assert.ok(state.every((v) => v === 0));
    assert.ok(sink.out.every((v) => v === -3));
    runner.run(new Int32Array(0), state, [sink]);
    assert.ok(state.every((v) => v === 0));
    runner.dispose();
    assert.throws(() => runner.run(ids, runner.zeroState(), [sink]), /disposed/);
    model.dispose();
  });

  test('createStreamingRunner picks the array runner for a bidirectional model it implements, and tfjs for one it does not', () => {
    const model = buildModel(CASES[2]!, 8);
    assert.equal(arrayRunnerLimitation(model), undefined);
    const fast = createStreamingRunner(model);
    assert.ok(fast instanceof ArrayRunner);
    assert.equal(fast.causal, false);
    fast.dispose();
    // A merge the runner does not implement (an architecture that skipped validation): tfjs runs it.
    const layer = model.architecture.layers.find((l) => l.direction === 'bidirectional')!;
    Object.assign(layer, { merge: 'max' });
    assert.match(arrayRunnerLimitation(model)!, /layer \d merges its two directions by "max"/);
    assert.ok(createStreamingRunner(model) instanceof TfjsRunner);
    assert.throws(() => new ArrayRunner(model), /The array runner cannot run this model: layer \d merges its two directions by "max"/);
    model.dispose();
  });
});
