/**
 * Fault tests (issue 7): the engine worker killed mid-training and mid-save. The model folder's
 * previous checkpoint (or the new one, when the save finished) still loads and gives exactly the
 * activations it gave before; the client reports the crash once and the next request restarts
 * the worker; an interrupted training run resumes from its last checkpoint.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { MODEL_FILE, loadModel, saveModel } from '../../src/engine/modelFolder';
import { recordActivations } from '../../src/engine/recorder';
import { runTraining } from '../../src/engine/trainingRun';
import { EngineClient, EngineError, type EngineEvent } from '../../src/extension/engineClient';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const WORKER = path.resolve(__dirname, '../../dist/worker.js');
const PROBE = 'the cat sat on the mat.';

/** Every recorded value of the folder's model over PROBE, to compare versions exactly. */
async function fingerprint(dir: string): Promise<Float32Array[]> {
  const loaded = await loadModel(dir);
  try {
    const rec = await recordActivations(loaded, PROBE);
    return rec.layers.flatMap((l) => Object.values(l.components).map((v) => Float32Array.from(v)));
  } finally {
    loaded.model.dispose();
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
  }
}

function same(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));
}

async function crashed(p: Promise<unknown>): Promise<'crashed' | 'finished'> {
  try {
    await p;
    return 'finished';
  } catch (e) {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, 'crashed', e.message);
    assert.match(e.message, /stopped unexpectedly/);
    return 'crashed';
  }
}

describe('faults: the engine worker killed mid-save and mid-training', () => {
  let root = '';
  const clients: EngineClient[] = [];
  let before_: Float32Array[] = [];
  let other: Float32Array[] = [];
  let previousDir = '';
  let otherDir = '';

  before(async () => {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build');
    await initBackend('wasm');
    root = tempDir('neuron-lens-faults-');
    previousDir = path.join(root, 'previous');
    otherDir = path.join(root, 'other');
    // Two versions: the folder's checkpoint, and a bigger model that the worker saves over it.
    const a = tinyModel('lstm', 'char', 1, 8);
    await saveModel(previousDir, a);
    a.model.dispose();
    const b = tinyModel('lstm', 'char', 2, 64, 2);
    await saveModel(otherDir, b);
    b.model.dispose();
    before_ = await fingerprint(previousDir);
    other = await fingerprint(otherDir);
    assert.ok(!same(before_, other));
  });
  after(() => {
    for (const c of clients) c.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('killed at many moments during a save: the folder loads, as the old version or the new, never torn', async () => {
    const client = new EngineClient(WORKER, () => 'wasm');
    clients.push(client);
    const outcomes = { crashed: 0, finished: 0, old: 0, new: 0 };
    for (const delay of [0, 1, 2, 3, 5, 8, 12, 20, 40, 80]) {
      const dir = path.join(root, `save-${delay}`);
      fs.cpSync(previousDir, dir, { recursive: true });
      await client.request('loadModel', { dir: otherDir });
      const events: EngineEvent['kind'][] = [];
      const sub = client.onDidChangeState((e) => events.push(e.kind));
      const save = client.request('saveModel', { dir });
      await new Promise((r) => setTimeout(r, delay));
      await client.terminate();
      const outcome = await crashed(save);
      outcomes[outcome]++;
      if (outcome === 'crashed') assert.deepEqual(events, ['stopped'], 'the crash is reported once');
      sub.dispose();
      const now = await fingerprint(dir);
      if (same(now, before_)) outcomes.old++;
      else {
        assert.ok(same(now, other), `delay ${delay}: the folder holds neither version`);
        outcomes.new++;
      }
      // The next request starts a fresh worker, which reads the folder too.
      const info = await client.request('modelInfo', { dir });
      assert.ok(info.layers.length >= 1);
    }
    console.log(`# kills during save: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.crashed > 0, 'no kill landed before the save finished');
  });

  test('an interrupted save leaves orphan files behind that do not change what loads', async () => {
    const dir = path.join(root, 'orphans');
    fs.cpSync(previousDir, dir, { recursive: true });
    // What a save killed between its writes leaves: a temporary model.json and new weight files.
    fs.writeFileSync(path.join(dir, `.${MODEL_FILE}.123.abcd.tmp`), '{"format":"neuron-lens-model", "trunc');
    fs.writeFileSync(path.join(dir, 'weights-0123456789ab.bin'), Buffer.alloc(100, 7));
    fs.writeFileSync(path.join(dir, '.weights-0123456789ab.bin.1.ffff.tmp'), Buffer.alloc(10));
    assert.ok(same(await fingerprint(dir), before_));
    // The next save cleans them up.
    const m = await loadModel(dir);
    await saveModel(dir, m);
    m.model.dispose();
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f === 'weights-0123456789ab.bin'),
      [],
    );
    assert.ok(same(await fingerprint(dir), before_));
  });

  test('killed mid-training: the previous checkpoint loads unchanged, and the next request restarts the worker', async () => {
    const client = new EngineClient(WORKER, () => 'wasm');
    clients.push(client);
    const dir = path.join(root, 'training');
    fs.cpSync(previousDir, dir, { recursive: true });
    let steps = 0;
    const train = client.request(
      'train',
      {
        corpus: { kind: 'text', name: 'small', text: SMALL_TEXT },
        cell: 'gru',
        level: 'char',
        hiddenSize: 16,
        numLayers: 1,
        steps: 100_000,
        seqLen: 8,
        batch: 2,
        out: dir,
      },
      { onProgress: () => steps++ },
    );
    const deadline = Date.now() + 60_000;
    while (steps < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(steps >= 5, 'training did not start');
    await client.terminate();
    assert.equal(await crashed(train), 'crashed');
    assert.equal(client.running, false);
    assert.ok(same(await fingerprint(dir), before_), 'the folder changed although no checkpoint was due');
    const info = await client.request('loadModel', { dir });
    assert.equal(info.cell, 'lstm');
    assert.equal(client.running, true);
  });

  test('a run interrupted after a checkpoint resumes from it (optimizer state included)', async () => {
    const dir = path.join(root, 'resume');
    const tensors = tf.memory().numTensors;
    const common = {
      corpus: { name: 'small', text: SMALL_TEXT },
      cell: 'lstm' as const,
      level: 'char' as const,
      hiddenSize: 8,
      seqLen: 8,
      batch: 2,
      out: dir,
      checkpointEvery: 4,
    };
    // The first run stops after 6 steps (as if VS Code closed), leaving its checkpoint of step 4 … or 6 when cancelled.
    const controller = new AbortController();
    const first = await runTraining({
      ...common,
      steps: 12,
      signal: controller.signal,
      onProgress: (p) => p.step >= 6 && controller.abort(),
    });
    first.loaded.model.dispose();
    const checkpoint = await loadModel(dir);
    const savedStep = checkpoint.training!.steps;
    assert.ok(savedStep >= 4 && savedStep < 12, `checkpoint at step ${savedStep}`);
    assert.equal(checkpoint.training!.completed, false);
    assert.ok(checkpoint.optimizerWeights?.length, 'the checkpoint keeps the optimizer state');
    checkpoint.model.dispose();
    for (const w of checkpoint.optimizerWeights ?? []) w.tensor.dispose();
    const resumed = await runTraining({ ...common, steps: 12, resume: true });
    assert.equal(resumed.result.steps, 12);
    assert.equal(resumed.loaded.training!.completed, true);
    resumed.loaded.model.dispose();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(
      await loadModel(dir).then((m) => (m.model.dispose(), m.optimizerWeights?.forEach((w) => w.tensor.dispose()), m.training!.steps)),
      12,
    );
  });
});
