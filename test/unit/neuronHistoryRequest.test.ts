/**
 * The worker's neuronHistory request as the editor sends it: the active model's folder (a model
 * trained for a few steps with snapshots), the neuron and a text; the answer's flat traces, token
 * offsets and per-checkpoint rows must be the history's own, with progress per checkpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { robustScale } from '../../src/engine/colourScale';
import { EngineSession } from '../../src/engine/engineSession';
import { NeuronLensError } from '../../src/engine/errors';
import { saveModel } from '../../src/engine/modelFolder';
import { neuronHistory } from '../../src/engine/neuronHistory';
import { MAX_HISTORY_TEXT } from '../../src/engine/neuronHistoryRequest';
import { runTraining } from '../../src/engine/trainingRun';
import type { Progress } from '../../src/shared/protocol';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const TEXT = 'the cat sat on the mat. a dog and a log.';
let session: EngineSession;
let trained: string;

function isError(pattern: RegExp, code?: string) {
  return (e: unknown) => e instanceof NeuronLensError && pattern.test(e.message) && (code === undefined || e.code === code);
}

before(async () => {
  await initBackend('wasm');
  trained = tempDir();
  const run = await runTraining({
    corpus: { name: 'small', text: SMALL_TEXT },
    cell: 'lstm',
    hiddenSize: 8,
    batch: 4,
    seqLen: 16,
    evalEvery: 3,
    maxValidationTokens: 200,
    seed: 5,
    steps: 6,
    out: trained,
    checkpointEvery: 3,
    snapshotEvery: 2,
  });
  run.loaded.model.dispose();
  session = new EngineSession();
  await session.loadModel({ dir: trained });
});

after(async () => {
  await session.dispose();
});

describe('neuronHistory request', () => {
  it("follows the active model's neuron over its snapshots: flat traces, offsets, rows and progress; no tensor leak", async () => {
    const expected = await neuronHistory(trained, { text: TEXT, layer: 0, component: 'c', neuron: 3, features: [' ', '/[.]/'] });
    const before = tf.memory().numTensors;
    const progress: Progress<'neuronHistory'>[] = [];
    const r = await session.neuronHistory({ text: TEXT, layer: 0, component: 'c', neuron: 3, features: [' ', '/[.]/'] }, undefined, (p) =>
      progress.push(p),
    );
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r.dir, trained);
    assert.equal(r.modelId, (await session.activeModel())!.modelId);
    assert.deepEqual([r.layer, r.component, r.neuron, r.range], [0, 'c', 3, 'unbounded']);
    assert.deepEqual(
      r.rows.map((row) => [row.step, row.source]),
      [0, 2, 4, 6].map((s) => [s, 'snapshot']),
    );
    const n = TEXT.length;
    assert.equal(r.starts.length, n);
    assert.deepEqual(
      Array.from(r.starts),
      Array.from({ length: n }, (_, i) => i),
    );
    assert.deepEqual(
      Array.from(r.ends),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    assert.ok(r.traces instanceof Float32Array);
    assert.equal(r.traces.length, 4 * n);
    expected.rows.forEach((row, i) => {
      assert.deepEqual(r.traces.subarray(i * n, (i + 1) * n), row.trace, `row ${i}`);
      assert.deepEqual(r.rows[i]!.d, row.d);
      assert.equal(r.rows[i]!.mean, row.mean);
    });
    // Validation is measured from the first evaluation on, not before training.
    assert.equal(r.rows[0]!.validationBits, undefined);
    assert.ok(Number.isFinite(r.rows[3]!.validationBits));
    assert.equal(r.robustScale, robustScale(r.traces));
    assert.deepEqual(r.features, expected.features);
    assert.deepEqual(
      r.features.map((f) => [f.feature, f.matches]),
      [
        [' ', 10],
        ['/[.]/', 2],
      ],
    );
    assert.equal(r.threshold, 1);
    // Four snapshots and the final weights' own pass: five steps of work.
    assert.deepEqual(
      progress.map((p) => p.message),
      ['checkpoint 1 of 5', 'checkpoint 2 of 5', 'checkpoint 3 of 5', 'checkpoint 4 of 5', 'checkpoint 5 of 5'],
    );
    assert.deepEqual(
      progress.map((p) => p.fraction),
      [0, 0.2, 0.4, 0.6, 1],
    );
  });

  it('reads another folder when named, and a threshold above every d leaves each feature not yet emerged', async () => {
    const r = await session.neuronHistory({
      dir: trained,
      text: TEXT,
      layer: 0,
      component: 'h',
      neuron: 0,
      features: [' '],
      threshold: 1e6,
    });
    assert.equal(r.modelId, undefined);
    assert.equal(r.range, 'signed');
    assert.deepEqual(r.features[0]!.emergedAt, null);
    assert.equal(r.threshold, 1e6);
  });

  it('a folder without snapshots is refused with a message that says how to get them', async () => {
    const plain = tempDir();
    const m = tinyModel('rnn', 'char', 1, 4);
    await saveModel(plain, m);
    m.model.dispose();
    const before = tf.memory().numTensors;
    await assert.rejects(
      session.neuronHistory({ dir: plain, text: TEXT, layer: 0, component: 'h', neuron: 0 }),
      isError(
        new RegExp(`^${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no training snapshots.*train --snapshot-every N`),
        'not-found',
      ),
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it('bad requests get messages naming what is wrong; cancellation stops it', async () => {
    const base = { text: TEXT, layer: 0, component: 'h', neuron: 0 };
    await assert.rejects(session.neuronHistory({ ...base, neuron: 8 }), isError(/Neuron 8 does not exist: layer 0 has 8 neurons/));
    await assert.rejects(
      session.neuronHistory({ ...base, component: 'z' }),
      isError(/Unknown component "z" for a LSTM layer; choose one of h /),
    );
    await assert.rejects(session.neuronHistory({ ...base, text: '' }), isError(/text must not be empty/));
    await assert.rejects(
      session.neuronHistory({ ...base, text: 'a'.repeat(MAX_HISTORY_TEXT + 1) }),
      isError(/too long to follow a neuron across training \(20,001 characters; at most 20,000\)/),
    );
    await assert.rejects(session.neuronHistory({ ...base, threshold: -1 }), isError(/threshold must be a number ≥ 0 \(got -1\)/));
    await assert.rejects(session.neuronHistory({ ...base, features: [''] }), isError(/feature must not be empty/));
    await assert.rejects(session.neuronHistory({ ...base, dir: 'relative/model' }), isError(/dir must be an absolute path/));
    const controller = new AbortController();
    controller.abort();
    const before = tf.memory().numTensors;
    await assert.rejects(session.neuronHistory(base, controller.signal), isError(/cancelled/, 'cancelled'));
    assert.equal(tf.memory().numTensors, before);
  });

  it('without an active model it says to load one', async () => {
    const empty = new EngineSession();
    await assert.rejects(
      empty.neuronHistory({ text: TEXT, layer: 0, component: 'h', neuron: 0 }),
      isError(/No model is loaded/, 'no-model'),
    );
    await empty.dispose();
  });
});
