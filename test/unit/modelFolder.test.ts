import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { MODEL_FILE, type ModelJSON, loadModel, saveModel } from '../../src/engine/modelFolder';
import { recordActivations } from '../../src/engine/recorder';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

async function savedTiny(cell: 'rnn' | 'lstm' | 'gru' = 'lstm') {
  const dir = tempDir();
  const m = tinyModel(cell, 'word', 5, 6, 2);
  await saveModel(dir, m);
  return { dir, ...m };
}

function editJSON(dir: string, edit: (j: ModelJSON) => void): void {
  const file = path.join(dir, MODEL_FILE);
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJSON;
  edit(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

async function assertInvalid(dir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(dir), (e: unknown) => {
    assert.ok(e instanceof NeuronLensError, `expected a NeuronLensError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('model folder', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    test(`${cell}: save then load gives identical activations and metadata`, async () => {
      const { dir, model, tokenizer } = await savedTiny(cell);
      const text = 'the cat sat on the log.\r\n';
      const before = await recordActivations({ model, tokenizer }, text);
      const loaded = await loadModel(dir);
      const after = await recordActivations(loaded, text);
      assert.deepEqual(loaded.model.architecture, model.architecture);
      assert.deepEqual(loaded.tokenizer.vocabulary.tokens, tokenizer.vocabulary.tokens);
      for (const [l, layer] of before.layers.entries()) {
        for (const [c, values] of Object.entries(layer.components)) {
          assert.deepEqual(after.layers[l]!.components[c], values, `layer ${l} component ${c}`);
        }
      }
      model.dispose();
      loaded.model.dispose();
    });
  }

  test('model.json is a tfjs ModelJSON whose weights decode with tf.io', async () => {
    const { dir, model } = await savedTiny();
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as ModelJSON;
    const group = json.weightsManifest[0]!;
    const bytes = fs.readFileSync(path.join(dir, group.paths[0]!));
    const artifacts = await tf.io.getModelArtifactsForJSON(json as unknown as tf.io.ModelJSON, async () => [
      group.weights,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    ]);
    const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    const kernel = model.weight('layers/0/kernel');
    assert.deepEqual(decoded['layers/0/kernel']!.dataSync(), kernel.dataSync());
    tf.dispose(Object.values(decoded));
    model.dispose();
  });

  test('saving again replaces the weight file and leaves no temporary files', async () => {
    const { dir, model, tokenizer } = await savedTiny();
    const first = fs.readdirSync(dir).sort();
    model.weight('output/bias').assign(tf.onesLike(model.weight('output/bias')));
    await saveModel(dir, { model, tokenizer });
    const second = fs.readdirSync(dir).sort();
    assert.equal(second.length, 2, second.join(', '));
    assert.notDeepEqual(first, second);
    assert.ok(second.every((f) => !f.endsWith('.tmp')));
    const loaded = await loadModel(dir);
    assert.deepEqual(Array.from(loaded.model.weight('output/bias').dataSync()), Array(tokenizer.vocabulary.size).fill(1));
    loaded.model.dispose();
    model.dispose();
  });

  test('missing folder, missing model.json, bad JSON, wrong format and version are named', async () => {
    await assertInvalid('/nonexistent/neuron-lens-model', /not found/);
    const empty = tempDir();
    await assertInvalid(empty, /model\.json is missing/);
    fs.writeFileSync(path.join(empty, MODEL_FILE), '{"format": ');
    await assertInvalid(empty, /not valid JSON/);
    fs.writeFileSync(path.join(empty, MODEL_FILE), '{"format": "layers-model"}');
    await assertInvalid(empty, /not a Neuron Lens model/);
    const { dir, model } = await savedTiny();
    model.dispose();
    editJSON(dir, (j) => (j.modelTopology.formatVersion = 99));
    await assertInvalid(dir, /unsupported format version 99/);
  });

  test('truncated or missing weights, wrong shapes and vocabulary mismatch are named', async () => {
    const { dir, model } = await savedTiny();
    model.dispose();
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as ModelJSON;
    const weightsFile = path.join(dir, json.weightsManifest[0]!.paths[0]!);
    const bytes = fs.readFileSync(weightsFile);
    fs.writeFileSync(weightsFile, bytes.subarray(0, bytes.length - 10));
    await assertInvalid(dir, /truncated/);
    fs.rmSync(weightsFile);
    await assertInvalid(dir, /is missing/);
    fs.writeFileSync(weightsFile, bytes);
    editJSON(dir, (j) => (j.weightsManifest[0]!.weights[1]!.shape = [3, 3]));
    await assertInvalid(dir, /has shape \[3, 3\]/);
    editJSON(dir, (j) => {
      j.weightsManifest[0]!.weights[1]!.shape = json.weightsManifest[0]!.weights[1]!.shape;
      j.userDefinedMetadata.tokenizer.vocabulary.tokens.push('extra-token');
    });
    await assertInvalid(dir, /vocabulary has \d+ entries but the model expects \d+/);
    editJSON(dir, (j) => {
      j.userDefinedMetadata.tokenizer.vocabulary.tokens.pop();
      j.weightsManifest[0]!.paths = ['../../etc/passwd'];
    });
    await assertInvalid(dir, /unsafe path/);
    editJSON(dir, (j) => {
      j.weightsManifest[0]!.paths = json.weightsManifest[0]!.paths;
      j.modelTopology.architecture.layers[0]!.units = 1e9;
    });
    await assertInvalid(dir, /units must be an integer/);
  });

  test('NaN weights are refused', async () => {
    const { dir, model } = await savedTiny();
    model.dispose();
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as ModelJSON;
    const file = path.join(dir, json.weightsManifest[0]!.paths[0]!);
    const bytes = fs.readFileSync(file);
    bytes.writeFloatLE(Number.NaN, 0);
    fs.writeFileSync(file, bytes);
    await assertInvalid(dir, /NaN or infinite/);
  });

  test('tensors do not leak across repeated loads', async () => {
    const { dir, model } = await savedTiny();
    model.dispose();
    const start = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) (await loadModel(dir)).model.dispose();
    assert.equal(tf.memory().numTensors, start);
    assert.ok(SMALL_TEXT.length > 0);
  });
});
