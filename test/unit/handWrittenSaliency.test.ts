import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ClassifierPooling, type LanguageModelArchitecture, type LayerSpec, makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { padBatch, pooledLogits } from '../../src/engine/classifier/classifierBatch';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { LanguageModel } from '../../src/engine/languageModel';
import { integratedGradients } from '../../src/engine/optimization/integratedGradients';
import { gradientSaliency } from '../../src/engine/optimization/saliency';
import { type Target, type TargetSpec, resolveTarget } from '../../src/engine/optimization/targets';
import { targetGradients, tokenInputs } from '../../src/engine/optimization/tokenInputs';
import { Random } from '../../src/engine/random';
import { inputGradients, supportsInputGradients } from '../../src/engine/training/inputGradients';

before(async () => {
  await initBackend('wasm');
});

const VOCAB = 11;
const UNITS = 6;
const EMBEDDING = 5;

interface ModelCase {
  cell: CellKind;
  embedding: number;
  classifier?: ClassifierPooling;
  resetAfter?: boolean;
  /** Layers bottom first: F forward, B bidirectional (classifiers only). */
  stack?: string;
}

/** Seeded weights, kernels ×2.5 so the gates leave their near-linear range and the paths differ. */
function buildModel(c: ModelCase, seed: number): LanguageModel {
  const base = makeArchitecture({
    cell: c.cell,
    level: c.embedding > 0 ? 'word' : 'char',
    vocabSize: VOCAB,
    hiddenSize: UNITS,
    numLayers: 2,
    embeddingSize: c.embedding,
    ...(c.classifier ? { classifier: { classes: ['no', 'yes', 'maybe'], pooling: c.classifier } } : {}),
  });
  const layers = (c.stack ?? 'FF').split('').map((kind): LayerSpec => ({
    units: UNITS,
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    resetAfter: c.resetAfter ?? true,
    ...(kind === 'B' ? { direction: 'bidirectional', merge: 'concat' } : {}),
  }));
  const model = LanguageModel.initialize({ ...base, layers } as LanguageModelArchitecture, seed);
  const rng = new Random(seed + 50);
  for (const [name, w] of model.weights) {
    const scale = name === 'embedding' ? 1 : name.endsWith('bias') ? 0.5 : 2.5 / Math.sqrt(w.shape[0]!);
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

/** Within 1e-4 of the reference's largest magnitude, or 1e-5 absolute where that is smaller. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let k = 0; k < expected.length; k++) {
    scale = Math.max(scale, Math.abs(expected[k]!));
    worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  }
  assert.ok(scale > 1e-3, `${what}: the reference is (nearly) all zeros, so the comparison would prove nothing`);
  assert.ok(worst <= Math.max(1e-4 * scale, 1e-5), `${what}: max difference ${worst} against max |value| ${scale}`);
}

/** Saliency and integrated gradients (both baselines, two chunks) by hand equal the tape's. */
function compareWithTape(model: LanguageModel, target: Target, ids: Int32Array, what: string): void {
  assert.ok(supportsInputGradients(model, target.spec), `${what}: the hand-written pass should handle this`);
  const ours = gradientSaliency(model, target, ids);
  const tape = gradientSaliency(model, target, ids, { autodiff: true });
  assertClose([ours.targetValue], [tape.targetValue], `${what}: target`);
  assertClose(ours.gradient, tape.gradient, `${what}: gradient`);
  assertClose(ours.gradientNorm, tape.gradientNorm, `${what}: gradient norm`);
  assertClose(ours.gradientTimesInput, tape.gradientTimesInput, `${what}: gradient × input`);
  for (const baseline of ['zero', 'uniform'] as const) {
    const igOurs = integratedGradients(model, target, ids, { steps: 6, chunk: 4, baseline });
    const igTape = integratedGradients(model, target, ids, { steps: 6, chunk: 4, baseline, autodiff: true });
    assertClose(igOurs.attributions, igTape.attributions, `${what}: IG attributions (${baseline})`);
    assertClose([igOurs.targetValue, igOurs.baselineValue], [igTape.targetValue, igTape.baselineValue], `${what}: IG ends (${baseline})`);
  }
}

const COMPONENTS: Record<CellKind, string[]> = { lstm: ['h', 'c', 'i', 'f', 'g', 'o'], gru: ['h', 'z', 'r', 'n'], rnn: ['h'] };

describe('saliency and integrated gradients by the hand-written pass', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const embedding of [0, EMBEDDING]) {
      test(`equal the tape for every target: ${cell} language model, ${embedding ? 'embedding' : 'one-hot'} input`, () => {
        const model = buildModel({ cell, embedding }, 3);
        const ids = randomIds(9, 4);
        let k = 0;
        for (const layer of [0, 1]) {
          for (const component of COMPONENTS[cell]) {
            const position = k % 2 === 0 ? 'last' : 'every';
            const spec: TargetSpec = { kind: 'neuron', layer, component, neuron: k++ % UNITS, position };
            compareWithTape(model, resolveTarget(model, spec), ids, `${cell} layer ${layer} ${component} (${position})`);
          }
        }
        for (const position of ['last', 'every'] as const) {
          compareWithTape(
            model,
            resolveTarget(model, { kind: 'logit', token: 7, position }),
            ids,
            `${cell} next-token logit (${position})`,
          );
        }
        model.dispose();
      });
    }
  }

  const classifiers: ModelCase[] = [
    { cell: 'lstm', embedding: 0, classifier: 'last' },
    { cell: 'gru', embedding: EMBEDDING, classifier: 'mean' },
    { cell: 'rnn', embedding: EMBEDDING, classifier: 'last' },
    { cell: 'lstm', embedding: EMBEDDING, classifier: 'mean' },
  ];
  for (const c of classifiers) {
    test(`equal the tape for class scores: ${c.cell} classifier, ${c.classifier} pooling, ${c.embedding ? 'embedding' : 'one-hot'} input`, () => {
      const model = buildModel(c, 8);
      const ids = randomIds(7, 9);
      // A class score is its per-token logit at the last token (last pooling) or averaged over every token (mean pooling).
      for (const position of ['last', 'every', 'mean'] as const) {
        compareWithTape(model, resolveTarget(model, { kind: 'logit', token: 2, position }), ids, `${c.cell} class 2 (${position})`);
      }
      // The target at the classifier's own pooling is exactly the logit its head computes.
      const pooled = pooledLogits(model, padBatch([ids]));
      const head = pooled.dataSync()[2]!;
      pooled.dispose();
      const x = tokenInputs(model, ids);
      const own = targetGradients(model, resolveTarget(model, { kind: 'logit', token: 2, position: c.classifier! }), x, 1, ids.length);
      assert.ok(Math.abs(own.values[0]! - head) < 1e-5, `${c.classifier} pooling: target ${own.values[0]}, head ${head}`);
      tf.dispose([x, own.grad]);
      const neuron = resolveTarget(model, { kind: 'neuron', layer: 1, component: 'h', neuron: 4, position: 'every' });
      compareWithTape(model, neuron, ids, `${c.cell} classifier layer 1 h`);
      model.dispose();
    });
  }

  test('embedding models: the gradient with respect to the embedding rows is dProjected · kernelᵀ, not through weights', () => {
    const model = buildModel({ cell: 'lstm', embedding: EMBEDDING }, 12);
    const ids = randomIds(6, 13);
    const x = tokenInputs(model, ids);
    const objective = { kind: 'logit', token: 3, position: 'last' } as const;
    const ours = inputGradients(model, objective, { embeddings: x }, 1, ids.length);
    assert.deepEqual(ours.dInput.shape, [ids.length, EMBEDDING]);
    const target = resolveTarget(model, objective);
    const tape = tf.grad((e) =>
      tf.sum(
        target.value(
          model.run(new Int32Array(ids.length), 1, ids.length, model.zeroState(1), { inputEmbeddings: e as tf.Tensor2D }),
          1,
          ids.length,
        ),
      ),
    )(x);
    assertClose(ours.dInput.dataSync(), tape.dataSync(), 'd target / d embeddings');
    const oneHot = buildModel({ cell: 'lstm', embedding: 0 }, 12);
    assert.throws(
      () => inputGradients(oneHot, objective, { embeddings: x }, 1, ids.length),
      /a one-hot model reads weights over the vocabulary, not embeddings/,
    );
    assert.throws(() => inputGradients(model, objective, { embeddings: x }, 2, 4), /expected embeddings \[8, 5\], got \[6, 5\]/);
    tf.dispose([x, ours.dInput, tape]);
    model.dispose();
    oneHot.dispose();
  });

  test('per step only the recurrent products run as tfjs kernels (the tape runs dozens), and no tensor leaks', async () => {
    const model = buildModel({ cell: 'lstm', embedding: 0 }, 5);
    const ids = randomIds(40, 6);
    const target = resolveTarget(model, { kind: 'logit', token: 1, position: 'last' });
    integratedGradients(model, target, ids, { steps: 4 });
    const before = tf.memory().numTensors;
    // tf.profile hands back one shared record that the next call overwrites: read each count at once.
    const ours = (
      await tf.profile(() => {
        integratedGradients(model, target, ids, { steps: 4 });
      })
    ).kernels.length;
    const tape = (
      await tf.profile(() => {
        integratedGradients(model, target, ids, { steps: 4, autodiff: true });
      })
    ).kernels.length;
    gradientSaliency(model, target, ids);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    // One pass of 5 path points through 2 layers of 40 tokens: a forward and a backward product per layer and step.
    const perStep = ours / (2 * 2 * ids.length);
    assert.ok(perStep <= 1.2, `hand-written: ${ours} kernels`);
    assert.ok(tape > 10 * ours, `tape: ${tape} kernels against ${ours}`);
    model.dispose();
  });
});

describe('the tape remains the path where the hand-written pass cannot follow', () => {
  const cases: { name: string; model: ModelCase; specs: TargetSpec[] }[] = [
    {
      name: 'a bidirectional layer',
      model: { cell: 'lstm', embedding: EMBEDDING, classifier: 'mean', stack: 'BF' },
      specs: [
        { kind: 'logit', token: 0, position: 'every' },
        { kind: 'neuron', layer: 0, component: 'h', neuron: 2, position: 'last' },
        { kind: 'neuron', layer: 0, component: 'backward/h', neuron: 4, position: 'last' },
      ],
    },
    {
      name: 'a GRU that resets before the recurrent product',
      model: { cell: 'gru', embedding: 0, resetAfter: false },
      specs: [
        { kind: 'logit', token: 4, position: 'last' },
        { kind: 'neuron', layer: 0, component: 'z', neuron: 1, position: 'every' },
      ],
    },
    {
      name: "an RNN's pre-activation (not kept by its pass)",
      model: { cell: 'rnn', embedding: 0 },
      specs: [{ kind: 'neuron', layer: 1, component: 'pre', neuron: 3, position: 'last' }],
    },
  ];
  for (const c of cases) {
    test(`${c.name}: the tape's numbers, complete within 5 %, no leaks`, () => {
      const model = buildModel(c.model, 21);
      const ids = randomIds(8, 22);
      for (const spec of c.specs) {
        const target = resolveTarget(model, spec);
        const what = `${c.name}: ${target.label}`;
        assert.equal(supportsInputGradients(model, spec), false, what);
        const weights = tf.zeros([8, VOCAB]) as tf.Tensor2D;
        assert.throws(() => inputGradients(model, spec, { weights }, 1, 8), /not supported/, what);
        weights.dispose();
        const before = tf.memory().numTensors;
        const ig = integratedGradients(model, target, ids, { steps: 64 });
        const tape = integratedGradients(model, target, ids, { steps: 64, autodiff: true });
        const saliency = gradientSaliency(model, target, ids);
        assert.equal(tf.memory().numTensors, before, `${what}: tensors leaked`);
        assert.deepEqual(ig.attributions, tape.attributions, `${what}: the same path as autodiff`);
        assert.deepEqual(saliency.gradient, gradientSaliency(model, target, ids, { autodiff: true }).gradient, what);
        const difference = ig.targetValue - ig.baselineValue;
        assert.ok(Math.abs(difference) > 0.05, `${what}: the test needs a non-trivial difference (${difference})`);
        assert.ok(Math.abs(ig.completenessGap) <= 0.05 * Math.abs(difference), `${what}: gap ${ig.completenessGap} vs ${difference}`);
      }
      model.dispose();
    });
  }
});
