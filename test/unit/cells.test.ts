import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import type { ActivationName } from '../../src/engine/cells/activationFunctions';
import { cellComponents, cellWeightSpecs, createCell, gateCount } from '../../src/engine/cells/cellFactory';
import type { CellConfig, CellKind, RecurrentCell } from '../../src/engine/cells/recurrentCell';
import { gatherRows } from '../../src/engine/rowGather';

before(async () => {
  await initBackend('wasm');
});

// ---------------------------------------------------------------------------------------------
// Plain-JavaScript Float64 reference of the equations in the cells' doc comments.
// ---------------------------------------------------------------------------------------------

type Mat = number[][];

const BATCH = 2;
const INPUT = 3;
const UNITS = 2;
const STEPS = 4;

function matmul(a: Mat, b: Mat): Mat {
  const n = b[0]!.length;
  return a.map((row) => Array.from({ length: n }, (_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

function addRow(a: Mat, v: number[]): Mat {
  return a.map((row) => row.map((x, j) => x + v[j]!));
}

function cols(a: Mat, from: number, count: number): Mat {
  return a.map((row) => row.slice(from, from + count));
}

function zip(a: Mat, b: Mat, f: (x: number, y: number) => number): Mat {
  return a.map((row, i) => row.map((x, j) => f(x, b[i]![j]!)));
}

function map(a: Mat, f: (x: number) => number): Mat {
  return a.map((row) => row.map(f));
}

function act(name: ActivationName, x: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'hardSigmoid':
      return Math.min(1, Math.max(0, 0.2 * x + 0.5));
    case 'relu':
      return Math.max(0, x);
    case 'linear':
      return x;
  }
}

/** Row-major flat array → matrix. */
function toMat(values: ArrayLike<number>, rows: number, columns: number): Mat {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: columns }, (_, j) => values[i * columns + j]!));
}

interface RefWeights {
  kernel: Mat;
  recurrentKernel: Mat;
  bias: number[];
  recurrentBias?: number[];
}

/** One reference step. `state` is [h] or [h, c]; returns the new state and every internal. */
function referenceStep(config: CellConfig, w: RefWeights, x: Mat, state: Mat[]): { state: Mat[]; internals: Record<string, Mat> } {
  const u = config.units;
  const a = (v: number) => act(config.activation, v);
  const s = (v: number) => act(config.recurrentActivation, v);
  const xp = addRow(matmul(x, w.kernel), w.bias); // x·W + b, all gates
  const hPrev = state[0]!;
  switch (config.kind) {
    case 'rnn': {
      const pre = zip(xp, matmul(hPrev, w.recurrentKernel), (p, q) => p + q);
      const h = map(pre, a);
      return { state: [h], internals: { h, pre } };
    }
    case 'lstm': {
      const cPrev = state[1]!;
      const z = zip(xp, matmul(hPrev, w.recurrentKernel), (p, q) => p + q);
      const i = map(cols(z, 0, u), s);
      const f = map(cols(z, u, u), s);
      const g = map(cols(z, 2 * u, u), a);
      const o = map(cols(z, 3 * u, u), s);
      const c = zip(
        zip(f, cPrev, (p, q) => p * q),
        zip(i, g, (p, q) => p * q),
        (p, q) => p + q,
      );
      const h = zip(o, map(c, a), (p, q) => p * q);
      return { state: [h, c], internals: { h, c, i, f, g, o } };
    }
    case 'gru': {
      const xz = cols(xp, 0, u);
      const xr = cols(xp, u, u);
      const xn = cols(xp, 2 * u, u);
      const uz = cols(w.recurrentKernel, 0, u);
      const ur = cols(w.recurrentKernel, u, u);
      const un = cols(w.recurrentKernel, 2 * u, u);
      let z: Mat;
      let r: Mat;
      let n: Mat;
      if (config.resetAfter) {
        const rb = w.recurrentBias!;
        const hz = addRow(matmul(hPrev, uz), rb.slice(0, u));
        const hr = addRow(matmul(hPrev, ur), rb.slice(u, 2 * u));
        const hn = addRow(matmul(hPrev, un), rb.slice(2 * u, 3 * u));
        z = map(
          zip(xz, hz, (p, q) => p + q),
          s,
        );
        r = map(
          zip(xr, hr, (p, q) => p + q),
          s,
        );
        n = map(
          zip(
            xn,
            zip(r, hn, (p, q) => p * q),
            (p, q) => p + q,
          ),
          a,
        );
      } else {
        z = map(
          zip(xz, matmul(hPrev, uz), (p, q) => p + q),
          s,
        );
        r = map(
          zip(xr, matmul(hPrev, ur), (p, q) => p + q),
          s,
        );
        const rh = zip(r, hPrev, (p, q) => p * q);
        n = map(
          zip(xn, matmul(rh, un), (p, q) => p + q),
          a,
        );
      }
      const h = zip(
        zip(z, hPrev, (p, q) => p * q),
        zip(z, n, (zz, nn) => (1 - zz) * nn),
        (p, q) => p + q,
      );
      return { state: [h], internals: { h, z, r, n } };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

interface Variant {
  name: string;
  kind: CellKind;
  recurrentActivation: ActivationName;
  resetAfter: boolean;
  /** Weight amplitude for the forward check (large enough to saturate hardSigmoid). */
  scale: number;
  components: string[];
  gates: string[];
}

const VARIANTS: Variant[] = [
  { name: 'RnnCell', kind: 'rnn', recurrentActivation: 'sigmoid', resetAfter: false, scale: 0.8, components: ['h', 'pre'], gates: [] },
  {
    name: 'LstmCell (sigmoid gates)',
    kind: 'lstm',
    recurrentActivation: 'sigmoid',
    resetAfter: false,
    scale: 0.8,
    components: ['h', 'c', 'i', 'f', 'g', 'o'],
    gates: ['i', 'f', 'o'],
  },
  {
    name: 'LstmCell (hardSigmoid gates)',
    kind: 'lstm',
    recurrentActivation: 'hardSigmoid',
    resetAfter: false,
    scale: 2.5,
    components: ['h', 'c', 'i', 'f', 'g', 'o'],
    gates: ['i', 'f', 'o'],
  },
  {
    name: 'GruCell (resetAfter)',
    kind: 'gru',
    recurrentActivation: 'sigmoid',
    resetAfter: true,
    scale: 0.8,
    components: ['h', 'z', 'r', 'n'],
    gates: ['z', 'r'],
  },
  {
    name: 'GruCell (reset before)',
    kind: 'gru',
    recurrentActivation: 'sigmoid',
    resetAfter: false,
    scale: 0.8,
    components: ['h', 'z', 'r', 'n'],
    gates: ['z', 'r'],
  },
];

function configOf(v: Variant): CellConfig {
  return {
    kind: v.kind,
    inputSize: INPUT,
    units: UNITS,
    activation: 'tanh',
    recurrentActivation: v.recurrentActivation,
    resetAfter: v.resetAfter,
  };
}

/** Deterministic weight values per weight name: scale · sin(1.37 k + offset), rounded to float32. */
function weightValues(config: CellConfig, scale: number): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  cellWeightSpecs(config).forEach((spec, w) => {
    const size = spec.shape.reduce((p, q) => p * q, 1);
    const values = Float32Array.from({ length: size }, (_, k) => scale * Math.sin(1.37 * k + 0.7 * w + 0.3));
    out.set(spec.name, { shape: [...spec.shape], values });
  });
  return out;
}

function refWeightsOf(config: CellConfig, values: Map<string, { shape: number[]; values: Float32Array }>): RefWeights {
  const g = gateCount(config) * config.units;
  const rb = values.get('recurrent_bias');
  return {
    kernel: toMat(values.get('kernel')!.values, config.inputSize, g),
    recurrentKernel: toMat(values.get('recurrent_kernel')!.values, config.units, g),
    bias: [...values.get('bias')!.values],
    ...(rb ? { recurrentBias: [...rb.values] } : {}),
  };
}

/** Inputs x_t, [batch, inputSize], rounded to float32. */
function inputAt(t: number): Float32Array {
  return Float32Array.from({ length: BATCH * INPUT }, (_, k) => Math.cos(0.9 * k + 1.7 * t) + 0.25 * t - 0.3);
}

function buildCell(config: CellConfig, tensors: Map<string, tf.Tensor>): RecurrentCell {
  return createCell(config, tensors);
}

function zeroState(cell: RecurrentCell): tf.Tensor2D[] {
  return Array.from({ length: cell.stateSize }, () => tf.zeros([BATCH, cell.config.units]) as tf.Tensor2D);
}

/** The model's input path: x·kernel + bias, then step. Returns each step's internals as arrays. */
function runCell(cell: RecurrentCell, steps: number): { internals: Record<string, Float32Array>[]; state: Float32Array[][] } {
  const internals: Record<string, Float32Array>[] = [];
  const states: Float32Array[][] = [];
  tf.tidy(() => {
    let state = zeroState(cell);
    for (let t = 0; t < steps; t++) {
      const x = tf.tensor2d(inputAt(t), [BATCH, INPUT]);
      const projected = tf.add(tf.matMul(x, cell.kernel), cell.bias) as tf.Tensor2D;
      const r = cell.step(projected, state);
      state = r.state;
      const snapshot: Record<string, Float32Array> = {};
      for (const [id, v] of Object.entries(r.internals)) {
        assert.deepEqual(v.shape, [BATCH, cell.config.units], `${id} has shape [batch, units]`);
        snapshot[id] = v.dataSync() as Float32Array;
      }
      internals.push(snapshot);
      states.push(state.map((s) => s.dataSync() as Float32Array));
    }
  });
  return { internals, state: states };
}

function assertClose(actual: ArrayLike<number>, expected: Mat, tol: number, what: string): void {
  const flat = expected.flat();
  assert.equal(actual.length, flat.length, `${what}: length`);
  for (let k = 0; k < flat.length; k++) {
    const diff = Math.abs(actual[k]! - flat[k]!);
    assert.ok(diff <= tol, `${what}[${k}]: got ${actual[k]}, expected ${flat[k]} (|diff| ${diff.toExponential(2)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Forward pass against the reference
// ---------------------------------------------------------------------------------------------

describe('cell forward pass matches a Float64 reference', () => {
  for (const v of VARIANTS) {
    test(`${v.name}: ${STEPS} steps from a zero state`, () => {
      const config = configOf(v);
      const values = weightValues(config, v.scale);
      const tensors = new Map<string, tf.Tensor>([...values].map(([name, w]) => [name, tf.tensor(w.values, w.shape)]));
      const before = tf.memory().numTensors;
      const cell = buildCell(config, tensors);
      assert.deepEqual(
        cell.components.map((c) => c.id),
        v.components,
      );
      assert.equal(cell.projectionSize, gateCount(config) * UNITS);
      assert.equal(cell.stateSize, v.kind === 'lstm' ? 2 : 1);
      const got = runCell(cell, STEPS);
      assert.equal(tf.memory().numTensors, before, 'running the cell under tidy leaks no tensors');

      const ref = refWeightsOf(config, values);
      let state: Mat[] = Array.from({ length: cell.stateSize }, () => toMat(new Float64Array(BATCH * UNITS), BATCH, UNITS));
      let saturated = 0;
      for (let t = 0; t < STEPS; t++) {
        const r = referenceStep(config, ref, toMat(inputAt(t), BATCH, INPUT), state);
        state = r.state;
        assert.deepEqual(Object.keys(got.internals[t]!).sort(), [...v.components].sort(), `step ${t} internals`);
        for (const id of v.components) assertClose(got.internals[t]![id]!, r.internals[id]!, 1e-5, `step ${t} ${id}`);
        state.forEach((s, k) => assertClose(got.state[t]![k]!, s, 1e-5, `step ${t} state[${k}]`));
        for (const gate of v.gates) {
          for (const value of got.internals[t]![gate]!) {
            assert.ok(value >= 0 && value <= 1, `step ${t} gate ${gate} = ${value} is in [0, 1]`);
            if (value === 0 || value === 1) saturated++;
          }
        }
      }
      // The state must actually evolve (a cell ignoring its recurrent input would also be caught by the reference).
      assert.notDeepEqual([...got.internals[0]!.h!], [...got.internals[STEPS - 1]!.h!]);
      if (v.recurrentActivation === 'hardSigmoid') {
        assert.ok(saturated > 0, 'the hardSigmoid fixture exercises the clipped region');
      }
      tf.dispose([...tensors.values()]);
    });
  }

  test('LSTM returns state [h, c] and GRU/RNN return [h], equal to the internals', () => {
    for (const v of VARIANTS) {
      const config = configOf(v);
      const values = weightValues(config, v.scale);
      const tensors = new Map<string, tf.Tensor>([...values].map(([name, w]) => [name, tf.tensor(w.values, w.shape)]));
      const cell = buildCell(config, tensors);
      const got = runCell(cell, 2);
      assert.deepEqual(got.state[1]![0], got.internals[1]!.h, `${v.name}: state[0] is h`);
      if (v.kind === 'lstm') assert.deepEqual(got.state[1]![1], got.internals[1]!.c, `${v.name}: state[1] is c`);
      assert.equal(got.state[1]!.length, cell.stateSize);
      tf.dispose([...tensors.values()]);
    }
  });
});

describe('cell factory', () => {
  test('weight specs have the documented shapes and gate counts', () => {
    const base = { inputSize: 3, units: 2, activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
    const shapes = (c: CellConfig) => cellWeightSpecs(c).map((s) => [s.name, [...s.shape]]);
    assert.deepEqual(shapes({ ...base, kind: 'rnn', resetAfter: false }), [
      ['kernel', [3, 2]],
      ['recurrent_kernel', [2, 2]],
      ['bias', [2]],
    ]);
    assert.deepEqual(shapes({ ...base, kind: 'lstm', resetAfter: false }), [
      ['kernel', [3, 8]],
      ['recurrent_kernel', [2, 8]],
      ['bias', [8]],
    ]);
    assert.deepEqual(shapes({ ...base, kind: 'gru', resetAfter: true }), [
      ['kernel', [3, 6]],
      ['recurrent_kernel', [2, 6]],
      ['bias', [6]],
      ['recurrent_bias', [6]],
    ]);
    assert.deepEqual(shapes({ ...base, kind: 'gru', resetAfter: false }), [
      ['kernel', [3, 6]],
      ['recurrent_kernel', [2, 6]],
      ['bias', [6]],
    ]);
    assert.deepEqual([gateCount({ kind: 'rnn' }), gateCount({ kind: 'lstm' }), gateCount({ kind: 'gru' })], [1, 4, 3]);
    assert.deepEqual(
      cellComponents({ kind: 'lstm' }).map((c) => c.id),
      ['h', 'c', 'i', 'f', 'g', 'o'],
    );
  });

  test('a missing weight or a weight of the wrong rank is rejected with its name', () => {
    const config = configOf(VARIANTS[3]!); // GRU with resetAfter needs recurrent_bias
    const tensors = new Map<string, tf.Tensor>([
      ['kernel', tf.zeros([3, 6])],
      ['recurrent_kernel', tf.zeros([2, 6])],
      ['bias', tf.zeros([6])],
    ]);
    assert.throws(() => createCell(config, tensors), { message: /Cell weight "recurrent_bias" is missing/ });
    tensors.set('recurrent_bias', tf.zeros([1, 6]));
    assert.throws(() => createCell(config, tensors), { message: /Cell weight "recurrent_bias" must have rank 1, not 2/ });
    tf.dispose([...tensors.values()]);
  });
});

// ---------------------------------------------------------------------------------------------
// Gradient checks
// ---------------------------------------------------------------------------------------------

const GRAD_STEPS = 3;
const FD_EPS = 1e-2;

/** Fixed "random" readout weights for the loss, one [batch, units] block per step. */
const READOUT = Array.from({ length: GRAD_STEPS }, (_, t) =>
  Float32Array.from({ length: BATCH * UNITS }, (_, k) => Math.sin(12.9898 * (k + 1) + 78.233 * (t + 1)) * 1.5),
);

/** loss = Σ_t Σ h_t ⊙ R_t, for a cell built from `weights` (a tensor per weight name). */
function cellLoss(config: CellConfig, names: string[], weights: tf.Tensor[]): tf.Scalar {
  const cell = createCell(config, new Map(names.map((n, i) => [n, weights[i]!])));
  let state = zeroState(cell);
  let loss: tf.Scalar = tf.scalar(0);
  for (let t = 0; t < GRAD_STEPS; t++) {
    const x = tf.tensor2d(inputAt(t), [BATCH, INPUT]);
    const projected = tf.add(tf.matMul(x, cell.kernel), cell.bias) as tf.Tensor2D;
    const r = cell.step(projected, state);
    state = r.state;
    loss = tf.add(loss, tf.sum(tf.mul(r.internals.h!, tf.tensor2d(READOUT[t]!, [BATCH, UNITS]))));
  }
  return loss;
}

function relClose(a: number, b: number, rtol: number): boolean {
  return Math.abs(a - b) <= rtol * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('cell gradients match central finite differences', () => {
  for (const v of VARIANTS) {
    test(`${v.name}: d loss / d {kernel, recurrent_kernel, bias${v.resetAfter ? ', recurrent_bias' : ''}}`, () => {
      const config = configOf(v);
      // Small weights keep hardSigmoid's pre-activations away from its kinks at ±2.5.
      const values = weightValues(config, 0.3);
      const names = [...values.keys()];
      const shapes = names.map((n) => values.get(n)!.shape);
      const base = names.map((n) => values.get(n)!.values);

      const analytic = tf.tidy(() => {
        const f = (...ws: tf.Tensor[]) => cellLoss(config, names, ws);
        const grads = tf.grads(f)(base.map((vals, i) => tf.tensor(vals, shapes[i]!)));
        return grads.map((g) => g.dataSync() as Float32Array);
      });

      const lossAt = (arrays: Float32Array[]): number =>
        tf.tidy(
          () =>
            cellLoss(
              config,
              names,
              arrays.map((vals, i) => tf.tensor(vals, shapes[i]!)),
            ).dataSync()[0]!,
        );

      let checked = 0;
      let nonZero = 0;
      names.forEach((name, wi) => {
        assert.deepEqual(analytic[wi]!.length, base[wi]!.length, `${name} gradient size`);
        for (let k = 0; k < base[wi]!.length; k++) {
          const plus = base.map((a) => a.slice());
          const minus = base.map((a) => a.slice());
          plus[wi]![k]! += FD_EPS;
          minus[wi]![k]! -= FD_EPS;
          const numeric = (lossAt(plus) - lossAt(minus)) / (2 * FD_EPS);
          const a = analytic[wi]![k]!;
          assert.ok(relClose(a, numeric, 2e-2), `${name}[${k}]: analytic ${a}, finite difference ${numeric}`);
          checked++;
          if (Math.abs(a) > 1e-3) nonZero++;
        }
      });
      assert.ok(checked > 0);
      assert.ok(nonZero >= checked / 2, `most gradient entries are non-zero (${nonZero}/${checked})`);
    });
  }
});

describe('gatherRows', () => {
  const ROWS = 5;
  const WIDTH = 3;
  const tableValues = Float32Array.from({ length: ROWS * WIDTH }, (_, k) => Math.sin(k + 0.5));
  const ids = Int32Array.from([3, 0, 3, 4, 3, 1]); // row 3 three times, row 2 never
  const upstream = Float32Array.from({ length: ids.length * WIDTH }, (_, k) => Math.cos(2.1 * k) + 0.1 * k);

  test('values equal tf.gather', () => {
    const [got, expected] = tf.tidy(() => {
      const table = tf.tensor2d(tableValues, [ROWS, WIDTH]);
      const g = gatherRows(table, ids);
      assert.deepEqual(g.shape, [ids.length, WIDTH]);
      return [g.dataSync(), tf.gather(table, tf.tensor1d(ids, 'int32')).dataSync()];
    });
    assert.deepEqual([...got], [...expected]);
    for (let n = 0; n < ids.length; n++) {
      for (let j = 0; j < WIDTH; j++) assert.equal(got[n * WIDTH + j], tableValues[ids[n]! * WIDTH + j]);
    }
  });

  test('gradient scatter-adds the upstream rows, summing repeated ids', () => {
    const grad = tf.tidy(() => {
      const table = tf.tensor2d(tableValues, [ROWS, WIDTH]);
      const w = tf.tensor2d(upstream, [ids.length, WIDTH]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, ids), w)))(table);
      assert.deepEqual(g.shape, [ROWS, WIDTH]);
      return g.dataSync();
    });
    const expected = new Float64Array(ROWS * WIDTH);
    ids.forEach((id, n) => {
      for (let j = 0; j < WIDTH; j++) expected[id * WIDTH + j]! += upstream[n * WIDTH + j]!;
    });
    for (let k = 0; k < expected.length; k++) {
      assert.ok(Math.abs(grad[k]! - expected[k]!) <= 1e-5, `grad[${k}] = ${grad[k]}, expected ${expected[k]}`);
    }
    // Row 2 is never gathered: zero gradient. Row 3 is gathered three times: the sum of three rows.
    for (let j = 0; j < WIDTH; j++) {
      assert.equal(grad[2 * WIDTH + j], 0);
      const three = upstream[0 * WIDTH + j]! + upstream[2 * WIDTH + j]! + upstream[4 * WIDTH + j]!;
      assert.ok(Math.abs(grad[3 * WIDTH + j]! - three) <= 1e-5);
    }
  });

  test('gradient through a nonlinearity matches finite differences', () => {
    const loss = (t: tf.Tensor2D) => tf.sum(tf.mul(tf.tanh(gatherRows(t, ids)), tf.tensor2d(upstream, [ids.length, WIDTH]))) as tf.Scalar;
    const analytic = tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => loss(t as tf.Tensor2D))(tf.tensor2d(tableValues, [ROWS, WIDTH]))
        .dataSync(),
    );
    const lossAt = (vals: Float32Array) => tf.tidy(() => loss(tf.tensor2d(vals, [ROWS, WIDTH])).dataSync()[0]!);
    for (let k = 0; k < tableValues.length; k++) {
      const plus = tableValues.slice();
      const minus = tableValues.slice();
      plus[k]! += FD_EPS;
      minus[k]! -= FD_EPS;
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * FD_EPS);
      assert.ok(relClose(analytic[k]!, numeric, 2e-2), `table[${k}]: analytic ${analytic[k]}, finite difference ${numeric}`);
    }
  });

  test('forward and backward leak no tensors', () => {
    const table = tf.variable(tf.tensor2d(tableValues, [ROWS, WIDTH]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(gatherRows(table, ids)) as tf.Scalar, [table]);
      const g = grads[table.name]!.dataSync();
      // d sum / d row r = number of times r is gathered.
      assert.deepEqual(
        [...g].filter((_, k) => k % WIDTH === 0),
        [1, 1, 0, 3, 1],
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, before);
    table.dispose();
  });
});
