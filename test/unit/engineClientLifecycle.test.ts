import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { saveModel } from '../../src/engine/modelFolder';
import { EngineClient, type EngineEvent } from '../../src/extension/engineClient';
import { tempDir, tinyModel } from './helpers';

// The bundled worker, as the extension runs it (npm test builds dist/ first).
const WORKER = path.resolve(__dirname, '../../dist/worker.js');

describe('engine client lifecycle', () => {
  let modelDir = '';
  const clients: EngineClient[] = [];
  const client = () => {
    const c = new EngineClient(WORKER, () => 'wasm');
    clients.push(c);
    return c;
  };

  before(async () => {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build');
    await initBackend('wasm');
    modelDir = tempDir();
    const m = tinyModel('rnn', 'char', 1, 4);
    await saveModel(modelDir, m);
    m.model.dispose();
  });
  after(() => {
    for (const c of clients) c.dispose();
  });

  test('requests made while the worker starts all wait for its backend', async () => {
    const c = client();
    const events: EngineEvent[] = [];
    c.onDidChangeState((e) => events.push(e));
    const [a, b, none] = await Promise.all([
      c.request('loadModel', { dir: modelDir }),
      c.request('modelInfo', { dir: modelDir }),
      c.request('activeModel', {} as Record<string, never>),
    ]);
    assert.equal(a.cell, 'rnn');
    assert.equal(b.cell, 'rnn');
    assert.ok(none === null || none.cell === 'rnn');
    assert.equal(c.backend, 'wasm');
    assert.deepEqual(events, [{ kind: 'started', backend: 'wasm' }], 'one worker started for all three');
  });

  test('a restart tells listeners, and the old worker exiting does not fail requests to the new one', async () => {
    const c = client();
    const events: string[] = [];
    c.onDidChangeState((e) => events.push(e.kind));
    await c.request('modelInfo', { dir: modelDir });
    c.dispose();
    assert.equal(c.backend, undefined);
    assert.equal(c.running, false);
    // Sent at once, while the first worker is still shutting down.
    const info = await c.request('modelInfo', { dir: modelDir });
    assert.equal(info.cell, 'rnn');
    assert.deepEqual(events, ['started', 'stopped', 'started']);
  });

  test('a crash is reported as stopped, and the active model is gone from the next worker', async () => {
    const c = client();
    const events: string[] = [];
    c.onDidChangeState((e) => events.push(e.kind));
    await c.request('loadModel', { dir: modelDir });
    await c.terminate();
    assert.deepEqual(events, ['started', 'stopped']);
    assert.equal(await c.request('activeModel', {} as Record<string, never>), null);
  });
});
