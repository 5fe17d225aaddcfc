/**
 * The worker's feature-inversion request as the editor sends it: a selection's state inverted on
 * a small model, answered with the recovered sequences re-scored by the real model, the tokens
 * that were read, progress, cancellation and clear messages for bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { EngineSession } from '../../src/engine/engineSession';
import { CancelledError } from '../../src/engine/errors';
import { saveModel } from '../../src/engine/modelFolder';
import { compare } from '../../src/engine/optimization/featureInversion';
import { recordActivations } from '../../src/engine/recorder';
import { tempDir, tinyModel } from './helpers';

const TEXT = 'the cat sat';
let session: EngineSession;
let dir: string;

before(async () => {
  await initBackend('wasm');
  const m = tinyModel('lstm', 'char', 5, 8, 1);
  dir = tempDir();
  await saveModel(dir, m);
  m.model.dispose();
  session = new EngineSession();
  await session.loadModel({ dir });
});

after(async () => {
  await session.dispose();
});

const params = { text: TEXT, layer: 0, component: 'h', length: 4, starts: 3, steps: 20, seed: 1 };

describe('invert request', () => {
  it('recovers one sequence per start, each scored by the real model against the text’s own state', async () => {
    const fractions: number[] = [];
    const r = await session.invert(params, undefined, (p) => fractions.push(p.fraction!));
    assert.equal(r.layer, 0);
    assert.equal(r.component, 'h');
    assert.equal(r.range, 'signed');
    assert.deepEqual(r.textTokens, TEXT.split(''));
    assert.equal(r.targetTokens, TEXT.length);
    assert.deepEqual(r.reference, { distance: 0, cosine: 1 });
    assert.equal(r.sequences.length, 3);
    assert.deepEqual(fractions.at(-1), 1);
    assert.ok(
      fractions.every((f, i) => i === 0 || f > fractions[i - 1]!),
      'progress only grows',
    );

    // The distances are the real model's: record the text and each sequence independently.
    const m = await import('../../src/engine/modelFolder').then((f) => f.loadModel(dir));
    try {
      const lastState = async (text: string) => {
        const rec = await recordActivations(m, text, { layers: [0], components: ['h'] });
        const values = rec.layers[0]!.components.h!;
        return values.slice(values.length - 8);
      };
      const target = await lastState(TEXT);
      for (const q of r.sequences) {
        assert.equal(q.tokens.length, 4);
        assert.equal(q.text, q.tokens.join(''));
        const { distance, cosine } = compare(await lastState(q.text), target);
        assert.ok(Math.abs(distance - q.distance) < 1e-4, `start ${q.start}: ${distance} vs ${q.distance}`);
        assert.ok(Math.abs(cosine - q.cosine) < 1e-4);
      }
    } finally {
      m.model.dispose();
    }
    assert.equal(r.sequences[r.best]!.distance, Math.min(...r.sequences.map((q) => q.distance)));

    // Seeded: the same request gives the same sequences.
    const again = await session.invert(params);
    assert.deepEqual(
      again.sequences.map((q) => [q.text, q.distance]),
      r.sequences.map((q) => [q.text, q.distance]),
    );
  });

  it('defaults to the last layer’s hidden state and leaks no tensors', async () => {
    const { layer: _l, component: _c, ...rest } = params;
    await session.invert({ ...rest, steps: 5 });
    const tensors = tf.memory().numTensors;
    const r = await session.invert({ ...rest, steps: 5 });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(r.component, 'h');
    assert.equal(r.layer, 0);
  });

  it('a cell-state target reports the unbounded range', async () => {
    const r = await session.invert({ ...params, component: 'cell', steps: 3 });
    assert.equal(r.component, 'c');
    assert.equal(r.range, 'unbounded');
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const running = session.invert({ ...params, steps: 1000 }, controller.signal, (p) => {
      if (p.fraction! > 0.01) controller.abort();
    });
    await assert.rejects(running, (e: unknown) => e instanceof CancelledError);
  });

  it('bad input gets a message that names it', async () => {
    await assert.rejects(session.invert({ ...params, text: '' }), /text must not be empty/);
    await assert.rejects(session.invert({ ...params, text: '   \n' }), /The text is empty: there is no state to invert/);
    await assert.rejects(session.invert({ ...params, steps: 5000 }), /steps must be an integer from 1 to 1000/);
    await assert.rejects(session.invert({ ...params, length: 0 }), /length must be an integer from 1 to 200/);
    await assert.rejects(session.invert({ ...params, layer: 3 }), /layer/i);
    await assert.rejects(session.invert({ ...params, component: 'q' }), /Unknown component "q"/);
  });
});
