import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { makeArchitecture } from '../../src/engine/architecture';
import { initBackend } from '../../src/engine/backend';
import { LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { saveModel } from '../../src/engine/modelFolder';
import { integratedGradients } from '../../src/engine/optimization/integratedGradients';
import { gradientSaliency } from '../../src/engine/optimization/saliency';
import { type TargetSpec, resolveTarget } from '../../src/engine/optimization/targets';
import { Random } from '../../src/engine/random';
import { tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const VOCAB = 6;
const UNITS = 3;

/**
 * A linear RNN with no recurrence: pre_j(t) = x_t · W[:, j] + b_j, so ∂pre_j(last)/∂x_last is
 * column j of W (the embedding-space kernel column for embedding models) and earlier tokens get 0.
 */
function linearModel(embeddingSize: number) {
  const arch = makeArchitecture({ cell: 'rnn', level: 'char', vocabSize: VOCAB, hiddenSize: UNITS, embeddingSize });
  arch.layers[0]!.activation = 'linear';
  const rng = new Random(11);
  const specs = modelWeightSpecs(arch);
  const weights = new Map(
    specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const zero = s.name === 'layers/0/recurrent_kernel';
      return [
        s.name,
        tf.tensor(
          Float32Array.from({ length: size }, () => (zero ? 0 : rng.normal())),
          s.shape,
        ),
      ];
    }),
  );
  const model = new LanguageModel(arch, weights);
  const kernel = weights.get('layers/0/kernel')!.arraySync() as number[][];
  tf.dispose([...weights.values()]);
  return { model, kernel };
}

const IDS = Int32Array.from([2, 5, 1, 1, 4]);

describe('gradient saliency', () => {
  for (const embeddingSize of [0, 4]) {
    test(`a linear toy model's saliency is its weights (${embeddingSize ? 'embedding' : 'one-hot'} inputs)`, () => {
      const { model, kernel } = linearModel(embeddingSize);
      const width = embeddingSize || VOCAB;
      const j = 1;
      const column = kernel.map((row) => row[j]!);
      assert.equal(column.length, width);
      const last = gradientSaliency(
        model,
        resolveTarget(model, { kind: 'neuron', layer: 0, component: 'pre', neuron: j, position: 'last' }),
        IDS,
      );
      assert.equal(last.width, width);
      const lastRow = Array.from(last.gradient.subarray((IDS.length - 1) * width));
      lastRow.forEach((g, d) => assert.ok(Math.abs(g - column[d]!) < 1e-5, `d ${d}: ${g} vs ${column[d]}`));
      for (let t = 0; t < IDS.length - 1; t++) assert.equal(last.gradientNorm[t], 0, `token ${t} cannot affect the last position`);
      const norm = Math.hypot(...column);
      assert.ok(Math.abs(last.gradientNorm[IDS.length - 1]! - norm) < 1e-5);

      const every = gradientSaliency(
        model,
        resolveTarget(model, { kind: 'neuron', layer: 0, component: 'pre', neuron: j, position: 'every' }),
        IDS,
      );
      for (let t = 0; t < IDS.length; t++) {
        for (let d = 0; d < width; d++) assert.ok(Math.abs(every.gradient[t * width + d]! - column[d]!) < 1e-5);
        if (embeddingSize === 0)
          assert.ok(Math.abs(every.gradientTimesInput[t]! - column[IDS[t]!]!) < 1e-5, 'one-hot: g·x is the entry of the present token');
        assert.ok(Math.abs(every.gradientNorm[t]! - norm) < 1e-5);
      }
      model.dispose();
    });
  }

  test('rejects an empty text', () => {
    const { model } = linearModel(0);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' });
    assert.throws(() => gradientSaliency(model, target, new Int32Array(0)), /no tokens/);
    assert.throws(() => integratedGradients(model, target, IDS, { steps: 0 }), /positive integer step count/);
    model.dispose();
  });
});

describe('integrated gradients', () => {
  test('on a linear model equals gradient × (input − baseline) exactly', () => {
    const { model, kernel } = linearModel(0);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'pre', neuron: 2, position: 'every' });
    const ig = integratedGradients(model, target, IDS, { steps: 4, baseline: 'uniform' });
    const column = kernel.map((row) => row[2]!);
    const mean = column.reduce((a, b) => a + b, 0) / VOCAB;
    IDS.forEach((id, t) => assert.ok(Math.abs(ig.attributions[t]! - (column[id]! - mean)) < 1e-5));
    assert.ok(Math.abs(ig.completenessGap) < 1e-4);
    model.dispose();
  });

  const cases: { name: string; cell: 'lstm' | 'gru'; level: 'char' | 'word'; spec: TargetSpec; baseline?: 'zero' | 'uniform' }[] = [
    {
      name: 'char LSTM, cell state summed, uniform baseline',
      cell: 'lstm',
      level: 'char',
      spec: { kind: 'neuron', layer: 1, component: 'c', neuron: 3, position: 'every' },
    },
    {
      name: 'char LSTM, hidden at last token, zero baseline',
      cell: 'lstm',
      level: 'char',
      spec: { kind: 'neuron', layer: 0, component: 'h', neuron: 0, position: 'last' },
      baseline: 'zero',
    },
    { name: 'word GRU (embeddings), next-token logit', cell: 'gru', level: 'word', spec: { kind: 'logit', token: 3, position: 'last' } },
  ];
  for (const c of cases) {
    test(`completeness within 5%: ${c.name}`, () => {
      const { model, tokenizer } = tinyModel(c.cell, c.level, 21, 12, 2);
      scaleWeights(model, 3); // Sharper nonlinearities than the small initial weights give.
      const { ids } = tokenizer.encode(c.level === 'char' ? 'the cat sat on a mat.' : 'the dog sat on the log . a cat');
      const target = resolveTarget(model, c.spec);
      const ig = integratedGradients(model, target, ids, { steps: 48, baseline: c.baseline });
      const difference = ig.targetValue - ig.baselineValue;
      assert.ok(Math.abs(difference) > 0.05, `the test needs a non-trivial difference (${difference})`);
      assert.ok(Math.abs(ig.completenessGap) <= 0.05 * Math.abs(difference), `gap ${ig.completenessGap} vs difference ${difference}`);
      const sum = ig.attributions.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - difference - ig.completenessGap) < 1e-5);
      model.dispose();
    });
  }

  test('repeated runs give the same numbers and leak no tensors', () => {
    const { model, tokenizer } = tinyModel('lstm', 'char', 4, 8);
    const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: 1, position: 'every' });
    const { ids } = tokenizer.encode('a cat on a log');
    integratedGradients(model, target, ids, { steps: 8 });
    gradientSaliency(model, target, ids);
    const before = tf.memory().numTensors;
    const first = integratedGradients(model, target, ids, { steps: 8, chunk: 3 });
    const again = integratedGradients(model, target, ids, { steps: 8 });
    const s1 = gradientSaliency(model, target, ids);
    const s2 = gradientSaliency(model, target, ids);
    assert.equal(tf.memory().numTensors, before);
    first.attributions.forEach((a, t) => assert.ok(Math.abs(a - again.attributions[t]!) < 1e-6, 'chunking does not change the result'));
    assert.deepEqual(s1.gradientNorm, s2.gradientNorm);
    model.dispose();
  });
});

function scaleWeights(model: LanguageModel, factor: number): void {
  for (const [name, w] of model.weights) {
    if (name.endsWith('kernel') && !name.startsWith('output')) {
      const scaled = tf.mul(w, factor);
      w.assign(scaled);
      scaled.dispose();
    }
  }
}

describe('neuron-lens saliency', () => {
  test('--json gives one score per token for each method; ig reports a small completeness gap', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const dir = tempDir();
    const m = tinyModel('lstm', 'char', 1, 8);
    await saveModel(dir, m);
    m.model.dispose();
    const results: Record<
      string,
      { tokens: { text: string; score: number }[]; completenessGap?: number; targetValue: number; baselineValue?: number }
    > = {};
    for (const method of ['grad', 'grad-x-input', 'ig']) {
      out.length = 0;
      const code = await main(
        ['saliency', '--model', dir, '--text', 'the cat', '--logit', 'a', '--method', method, '--json', '--backend', 'wasm'],
        io,
      );
      assert.equal(code, 0, err.join('\n'));
      results[method] = JSON.parse(out.join(''));
    }
    for (const r of Object.values(results))
      assert.deepEqual(
        r.tokens.map((t) => t.text),
        [...'the cat'],
      );
    assert.ok(
      results.grad!.tokens.every((t) => t.score >= 0),
      'norms are non-negative',
    );
    const ig = results.ig!;
    assert.ok(Math.abs(ig.completenessGap!) <= 0.05 * Math.abs(ig.targetValue - ig.baselineValue!) + 1e-6);
    out.length = 0;
    assert.equal(
      await main(
        ['saliency', '--model', dir, '--text', 'the cat', '--neuron', '0', '--method', 'ig', '--steps', '8', '--backend', 'wasm'],
        io,
      ),
      0,
    );
    assert.match(out[0]!, /layer 0 h neuron 0 \(last token\) = -?\d\.\d{4}; ig, 7 tokens, completeness gap/);
    assert.equal(out.length, 8, 'a header and one line per token without colour');
    err.length = 0;
    assert.equal(
      await main(['saliency', '--model', dir, '--text', 'x', '--neuron', '0', '--method', 'smooth', '--backend', 'wasm'], io),
      1,
    );
    assert.match(err.join(''), /--method must be one of grad, grad-x-input, ig/);
  });
});
