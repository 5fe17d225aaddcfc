import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { saveModel } from '../../src/engine/modelFolder';
import { neuronTrace, recordActivations } from '../../src/engine/recorder';
import { SecondModel, neuronValuesInModel } from '../../src/engine/secondModel';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

/** The comparison panel's "same neuron in another model": a model folder other than the active one. */
describe('a neuron of a second model folder', () => {
  const root = tempDir();
  const charDir = path.join(root, 'char');
  const otherDir = path.join(root, 'other');
  const text = SMALL_TEXT.slice(0, 200);
  let expected: Float32Array;
  before(async () => {
    await initBackend('cpu');
    const a = tinyModel('lstm', 'char', 3);
    await saveModel(charDir, a);
    expected = neuronTrace((await recordActivations(a, text, { layers: [0], components: ['c'] })).layers[0]!, 'c', 5);
    a.model.dispose();
    const b = tinyModel('gru', 'char', 4);
    await saveModel(otherDir, b);
    b.model.dispose();
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("gives the folder's own values with its token offsets, and keeps one folder loaded", async () => {
    const models = new SecondModel();
    const before = tf.memory().numTensors;
    const r = await neuronValuesInModel(models, { dir: charDir, text, layer: 0, component: 'c', neuron: 5 });
    assert.deepEqual(r.values, expected);
    assert.equal(r.range, 'unbounded');
    assert.equal(r.level, 'char');
    assert.deepEqual([r.starts.length, r.starts[7], r.ends[7]], [200, 7, 8]);
    const loaded = await models.get(charDir);
    assert.equal(await models.get(charDir), loaded, 'the same folder is not loaded twice');
    const held = tf.memory().numTensors;
    // Another folder replaces the first: its tensors are freed, not piled up.
    const g = await neuronValuesInModel(models, { dir: otherDir, text, layer: 0, component: 'h', neuron: 0 });
    assert.equal(g.range, 'signed');
    for (let i = 0; i < 3; i++) await neuronValuesInModel(models, { dir: charDir, text, layer: 0, component: 'c', neuron: 5 });
    assert.equal(tf.memory().numTensors, held);
    models.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('reloads a folder whose model.json changed on disk', async () => {
    const models = new SecondModel();
    const first = await models.get(charDir);
    const json = path.join(charDir, 'model.json');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(json, later, later);
    assert.notEqual(await models.get(charDir), first);
    models.dispose();
  });

  it('says what is wrong: not a model folder, a neuron or component it lacks, an empty text', async () => {
    const models = new SecondModel();
    await assert.rejects(neuronValuesInModel(models, { dir: root, text, layer: 0, component: 'h', neuron: 0 }), /has no model.json/);
    await assert.rejects(
      neuronValuesInModel(models, { dir: charDir, text, layer: 0, component: 'h', neuron: 8 }),
      /Neuron 8 does not exist in .*: layer 0 has 8 neurons \(0–7\)/,
    );
    await assert.rejects(
      neuronValuesInModel(models, { dir: otherDir, text, layer: 0, component: 'c', neuron: 0 }),
      /Unknown component "c" for a GRU layer/,
    );
    await assert.rejects(
      neuronValuesInModel(models, { dir: charDir, text: '', layer: 0, component: 'h', neuron: 0 }),
      /text must not be empty/,
    );
    models.dispose();
  });
});
