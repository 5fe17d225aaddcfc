import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { MODEL_FILE, loadModel } from '../../src/engine/modelFolder';
import { trainLanguageModel } from '../../src/engine/trainer';
import { runTraining } from '../../src/engine/trainingRun';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

function dataFor(tokenizer: ReturnType<typeof tinyModel>['tokenizer']) {
  const { ids } = tokenizer.encode(SMALL_TEXT);
  const split = Math.floor(ids.length * 0.9);
  return { train: ids.subarray(0, split), validation: ids.subarray(split) };
}

const FAST = { batch: 4, seqLen: 16, evalEvery: 10, maxValidationTokens: 200, learningRate: 1e-2 };

describe('training', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    test(`${cell}: loss decreases on a small corpus`, async () => {
      const { model, tokenizer } = tinyModel(cell, 'char', 1, 16);
      const r = await trainLanguageModel(model, dataFor(tokenizer), { ...FAST, steps: 40 });
      const first = r.history[0]!;
      const last = r.history[r.history.length - 1]!;
      assert.equal(r.steps, 40);
      assert.ok(last.trainBits < first.trainBits - 0.5, `train bits ${first.trainBits} → ${last.trainBits}`);
      assert.ok(last.validationBits! < 3.2, `validation bits ${last.validationBits}`);
      model.dispose();
    });
  }

  test('the same seed gives the same run; tensors do not leak', async () => {
    const losses: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const { model, tokenizer } = tinyModel('lstm', 'char', 7, 8);
      const before = tf.memory().numTensors;
      const r = await trainLanguageModel(model, dataFor(tokenizer), { ...FAST, steps: 12, seed: 4, evalEvery: 4 });
      assert.equal(tf.memory().numTensors, before, 'tensor count after training');
      losses.push(r.history.map((h) => h.trainBits));
      model.dispose();
    }
    assert.deepEqual(losses[0], losses[1]);
  });

  test('dropout training is deterministic with a seed and still learns', async () => {
    const runs: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { model, tokenizer } = tinyModel('gru', 'char', 2, 12);
      (model.architecture as { dropout: number }).dropout = 0.2;
      const r = await trainLanguageModel(model, dataFor(tokenizer), { ...FAST, steps: 20, seed: 9 });
      runs.push(r.finalValidationBits);
      model.dispose();
    }
    assert.equal(runs[0], runs[1]);
    assert.ok(runs[0]! < 4);
  });

  test('cancellation stops the run and checkpoints the last good weights', async () => {
    const { model, tokenizer } = tinyModel('lstm', 'char', 1, 8);
    const controller = new AbortController();
    const reasons: string[] = [];
    const r = await trainLanguageModel(model, dataFor(tokenizer), {
      ...FAST,
      steps: 1000,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 5) controller.abort();
      },
      onCheckpoint: async (c) => {
        reasons.push(`${c.reason}@${c.step}`);
        tf.dispose(c.optimizerWeights.map((w) => w.tensor));
      },
    });
    assert.equal(r.cancelled, true);
    assert.equal(r.steps, 5);
    assert.deepEqual(reasons, ['cancelled@5']);
    model.dispose();
  });

  test('a NaN loss stops training with a clear error before the bad update', async () => {
    const { model, tokenizer } = tinyModel('rnn', 'char', 1, 8);
    const reasons: string[] = [];
    const kernel = model.weight('output/kernel');
    const poisoned = tf.tidy(() => tf.fill(kernel.shape, Number.NaN));
    kernel.assign(poisoned);
    poisoned.dispose();
    await assert.rejects(
      trainLanguageModel(model, dataFor(tokenizer), {
        ...FAST,
        steps: 10,
        onCheckpoint: async (c) => {
          reasons.push(c.reason);
          tf.dispose(c.optimizerWeights.map((w) => w.tensor));
        },
      }),
      (e: unknown) => e instanceof NeuronLensError && e.code === 'diverged' && /diverged at step 1: the loss became NaN/.test(e.message),
    );
    assert.deepEqual(reasons, ['diverged']);
    model.dispose();
  });

  test('runTraining saves checkpoints atomically and resumes to the same result as one run', async () => {
    const corpus = { name: 'small', text: SMALL_TEXT };
    const common = {
      corpus,
      cell: 'lstm' as const,
      hiddenSize: 8,
      batch: 4,
      seqLen: 16,
      evalEvery: 5,
      maxValidationTokens: 200,
      learningRate: 1e-2,
      seed: 3,
    };
    const straight = tempDir();
    const full = await runTraining({ ...common, steps: 10, out: straight, checkpointEvery: 100 });
    full.loaded.model.dispose();

    const split = tempDir();
    const controller = new AbortController();
    const part = await runTraining({
      ...common,
      steps: 10,
      out: split,
      signal: controller.signal,
      onProgress: (p) => p.step === 5 && controller.abort(),
    });
    part.loaded.model.dispose();
    assert.equal(part.result.cancelled, true);
    const checkpoint = JSON.parse(fs.readFileSync(path.join(split, MODEL_FILE), 'utf8'));
    assert.equal(checkpoint.userDefinedMetadata.training.steps, 5);
    assert.equal(checkpoint.userDefinedMetadata.training.completed, false);
    const resumed = await runTraining({ ...common, steps: 10, out: split, resume: true });
    resumed.loaded.model.dispose();
    assert.equal(resumed.result.steps, 10);

    const a = await loadModel(straight);
    const b = await loadModel(split);
    const wa = a.model.weight('layers/0/recurrent_kernel').dataSync();
    const wb = b.model.weight('layers/0/recurrent_kernel').dataSync();
    // State restarts at the resume point, so weights differ slightly, but the run continued.
    assert.equal(b.training!.steps, 10);
    assert.equal(b.training!.completed, true);
    assert.ok(Math.max(...wa.map((x, i) => Math.abs(x - wb[i]!))) < 0.05);
    a.model.dispose();
    b.model.dispose();
    tf.dispose([...(a.optimizerWeights ?? []), ...(b.optimizerWeights ?? [])].map((w) => w.tensor));
  });

  test('a text shorter than one window is refused with a message', async () => {
    const { model, tokenizer } = tinyModel('lstm', 'char');
    const { ids } = tokenizer.encode('the cat');
    await assert.rejects(trainLanguageModel(model, { train: ids, validation: ids }, FAST), /too short: 7 tokens, need at least 18/);
    model.dispose();
  });
});
