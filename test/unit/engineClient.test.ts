import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { saveModel } from '../../src/engine/modelFolder';
import { EngineClient, EngineError } from '../../src/extension/engineClient';
import { tempDir, tinyModel } from './helpers';

// The bundled worker, as the extension runs it (npm test builds dist/ first).
const WORKER = path.resolve(__dirname, '../../dist/worker.js');

describe('engine worker client', () => {
  const log: string[] = [];
  const client = new EngineClient(
    WORKER,
    () => 'wasm',
    (l) => log.push(l),
  );
  let modelDir = '';

  before(async () => {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build');
    await initBackend('wasm');
    modelDir = tempDir();
    const m = tinyModel('gru', 'word', 1, 6);
    await saveModel(modelDir, m);
    m.model.dispose();
  });
  after(() => client.dispose());

  test('starts lazily and answers a request from the worker thread', async () => {
    assert.equal(client.running, false);
    const info = await client.request('modelInfo', { dir: modelDir });
    assert.equal(client.running, true);
    assert.equal(info.cell, 'gru');
    assert.deepEqual(info.layers, [6]);
    assert.deepEqual(
      info.components.map((c) => c.id),
      ['h', 'z', 'r', 'n'],
    );
    assert.ok(
      log.some((l) => /started on the wasm backend/.test(l)),
      log.join('\n'),
    );
  });

  test('user errors come back as EngineError with the engine message', async () => {
    await assert.rejects(
      client.request('modelInfo', { dir: '/no/such/model' }),
      (e: unknown) =>
        e instanceof EngineError && e.userError && e.code === 'not-found' && e.message === 'Model folder not found: /no/such/model',
    );
  });

  test('a crashed worker fails the request in flight once and restarts on the next request', async () => {
    const inFlight = client.request('modelInfo', { dir: modelDir });
    await client.terminate();
    await assert.rejects(
      inFlight,
      (e: unknown) => e instanceof EngineError && e.code === 'crashed' && /stopped unexpectedly/.test(e.message),
    );
    assert.equal(client.running, false);
    const info = await client.request('modelInfo', { dir: modelDir });
    assert.equal(info.vocabulary > 2, true);
    assert.equal(client.running, true);
  });
});
