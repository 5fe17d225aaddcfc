import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModelArchitecture, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { LanguageModel } from '../../src/engine/languageModel';
import { maximizeActivation } from '../../src/engine/optimization/activationMaximization';
import { allowedTokens, relaxedDistribution } from '../../src/engine/optimization/inputRelaxation';
import { type TargetPosition, resolveTarget } from '../../src/engine/optimization/targets';
import { Random } from '../../src/engine/random';
import { type GradientObjective, inputWeightGradients, supportsInputGradients } from '../../src/engine/training/inputGradients';
import { Vocabulary } from '../../src/engine/vocabulary';

before(async () => {
  await initBackend('wasm');
});

const VOCAB = 11;
type Cell = 'lstm' | 'gru' | 'rnn';

function model(cell: Cell, layers: number, embedding: number, seed = 5, resetAfter = true): LanguageModel {
  const arch = makeArchitecture({
    cell,
    level: embedding > 0 ? 'word' : 'char',
    vocabSize: VOCAB,
    hiddenSize: 6,
    numLayers: layers,
    embeddingSize: embedding,
  });
  for (const l of arch.layers as { resetAfter: boolean }[]) l.resetAfter = resetAfter;
  return LanguageModel.initialize(arch as LanguageModelArchitecture, seed);
}

function randomLogits(rows: number, seed: number): tf.Tensor2D {
  const rng = new Random(seed);
  return tf.tensor2d(
    Float32Array.from({ length: rows * VOCAB }, () => 1.5 * rng.normal()),
    [rows, VOCAB],
  );
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relative = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]!));
  let worst = 0;
  for (let k = 0; k < actual.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  assert.ok(scale > 0, `${what}: the reference is all zeros, so the comparison would prove nothing`);
  assert.ok(worst <= relative * scale, `${what}: max difference ${worst} against max |value| ${scale}`);
}

/**
 * d objective / d θ of the relaxation p = softmax((θ + bias) / τ), by tf.grad over model.run (the
 * reference) and by the hand-written pass chained through the same softmax on the tape.
 */
function compareLogitGradients(m: LanguageModel, objective: GradientObjective, batch: number, steps: number, seed: number): void {
  const target = resolveTarget(m, objective);
  const theta = randomLogits(batch * steps, seed);
  const bias = tf.tensor1d(allowedTokens(VOCAB, [0]).bias);
  const tau = 0.7;
  const ids = new Int32Array(batch * steps);
  const reference = tf.valueAndGrad((t: tf.Tensor2D) => {
    const r = m.run(ids, batch, steps, m.zeroState(batch), {
      inputWeights: relaxedDistribution(t, tau, bias),
      collect: (l, c) => target.collect(l, c),
      skipLogits: !target.needsLogits,
    });
    return tf.sum(target.value(r, batch, steps)) as tf.Scalar;
  })(theta);
  const referenceValues = tf.tidy(() => {
    const r = m.run(ids, batch, steps, m.zeroState(batch), {
      inputWeights: relaxedDistribution(theta, tau, bias),
      collect: (l, c) => target.collect(l, c),
      skipLogits: !target.needsLogits,
    });
    return target.value(r, batch, steps);
  });

  const p = relaxedDistribution(theta, tau, bias);
  const ours = inputWeightGradients(m, objective, p, batch, steps);
  assert.deepEqual(ours.dWeights.shape, [batch * steps, VOCAB]);
  const oursLogits = tf.grad((t) => tf.sum(tf.mul(relaxedDistribution(t as tf.Tensor2D, tau, bias), ours.dWeights)))(theta);

  const where = objective.kind === 'neuron' ? `layer ${objective.layer} ${objective.component}` : `logit ${objective.token}`;
  const what = `${m.architecture.cell} ${m.architecture.embeddingSize > 0 ? 'embedding' : 'one-hot'} ${where} (${objective.position})`;
  assertClose(ours.values, referenceValues.dataSync(), `${what}: objective`, 1e-5);
  assertClose(oursLogits.dataSync(), reference.grad.dataSync(), `${what}: d/dθ`);
  tf.dispose([theta, bias, reference.value, reference.grad, referenceValues, p, ours.dWeights, oursLogits]);
}

describe('hand-written input gradients for activation maximisation', () => {
  const components: Record<Cell, string[]> = { lstm: ['h', 'c', 'i', 'f', 'g', 'o'], gru: ['h', 'z', 'r', 'n'], rnn: ['h'] };
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const embedding of [0, 5]) {
      test(`gradient w.r.t. the relaxation logits equals autodiff: ${cell}, ${embedding > 0 ? 'embedding' : 'one-hot'} input`, () => {
        const m = model(cell, 2, embedding);
        let seed = 1;
        for (const position of ['last', 'every'] as TargetPosition[]) {
          for (const layer of [0, 1]) {
            for (const component of components[cell]) {
              compareLogitGradients(m, { kind: 'neuron', layer, component, neuron: (seed * 5) % 6, position }, 3, 5, seed++);
            }
          }
          // An output logit: linear in the top layer's h, seeded as d/dh_t = w_t · (its kernel column).
          compareLogitGradients(m, { kind: 'logit', token: seed % VOCAB, position }, 3, 5, seed++);
        }
        m.dispose();
      });
    }
  }

  test('unsupported targets are reported so the caller keeps the autodiff path', () => {
    const rnn = model('rnn', 1, 0);
    assert.equal(supportsInputGradients(rnn, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' }), true);
    assert.equal(supportsInputGradients(rnn, { kind: 'neuron', layer: 0, component: 'pre', neuron: 0, position: 'last' }), false);
    assert.equal(supportsInputGradients(rnn, { kind: 'neuron', layer: 1, component: 'h', neuron: 0, position: 'last' }), false);
    const p = tf.fill([4, VOCAB], 1 / VOCAB) as tf.Tensor2D;
    assert.throws(
      () => inputWeightGradients(rnn, { kind: 'neuron', layer: 0, component: 'pre', neuron: 0, position: 'last' }, p, 2, 2),
      /not supported/,
    );
    assert.throws(
      () => inputWeightGradients(rnn, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' }, p, 2, 3),
      /expected weights \[6, 11\]/,
    );
    p.dispose();
    rnn.dispose();
    // A GRU that resets before the recurrent product has no hand-written pass.
    const gru = model('gru', 1, 0, 5, false);
    assert.equal(supportsInputGradients(gru, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' }), false);
    gru.dispose();
  });

  test('maximisation follows the same trajectory as the autodiff path, and leaks no tensors', async () => {
    const vocabulary = Vocabulary.build(Array.from({ length: VOCAB - 1 }, (_, i) => String.fromCharCode(97 + i)));
    const cases: { cell: Cell; embedding: number; component: string; position: TargetPosition; entropyWeight: number }[] = [
      { cell: 'lstm', embedding: 0, component: 'h', position: 'last', entropyWeight: 0 },
      { cell: 'lstm', embedding: 5, component: 'c', position: 'every', entropyWeight: 0.1 },
      { cell: 'gru', embedding: 0, component: 'n', position: 'every', entropyWeight: 0 },
      { cell: 'rnn', embedding: 5, component: 'h', position: 'last', entropyWeight: 0.1 },
    ];
    for (const c of cases) {
      const m = model(c.cell, 2, c.embedding, 9);
      const target = resolveTarget(m, { kind: 'neuron', layer: 1, component: c.component, neuron: 2, position: c.position });
      const options = { length: 6, starts: 3, steps: 8, seed: 4, decodeEvery: 1, polish: 3, entropyWeight: c.entropyWeight };
      const reference = await maximizeActivation(m, vocabulary, target, { ...options, autodiff: true });
      const before = tf.memory().numTensors;
      const ours = await maximizeActivation(m, vocabulary, target, options);
      await maximizeActivation(m, vocabulary, target, options);
      assert.equal(tf.memory().numTensors, before, `${c.cell}: tensors leaked`);
      const what = `${c.cell} ${c.component} (${c.position})`;
      assertClose(
        ours.sequences.map((s) => s.relaxedObjective),
        reference.sequences.map((s) => s.relaxedObjective),
        `${what}: relaxed objective after 8 steps`,
      );
      assert.deepEqual(
        ours.sequences.map((s) => [s.ids, s.step, s.decodedText]),
        reference.sequences.map((s) => [s.ids, s.step, s.decodedText]),
        `${what}: decoded sequences`,
      );
      assertClose(
        ours.sequences.map((s) => s.activation),
        reference.sequences.map((s) => s.activation),
        `${what}: real activations`,
        1e-6,
      );
      m.dispose();
    }
  });
});
