/**
 * What the training page accepts from the extension (parseToTraining): runs and points as the
 * TrainingRunStore builds them from the worker's progress. Anything malformed is refused whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TrainingRunStore } from '../../src/extension/panels/trainingRunStore';
import { type TrainingRunData, parseToTraining } from '../../src/shared/panelMessages';

/** Ten steps of 100 ms each, validation measured at steps 5 and 10, then the run ends. */
function run(end?: 'finished' | 'failed'): TrainingRunData {
  const store = new TrainingRunStore();
  store.start({ title: 'moby-dick char lstm', unit: 'bits/char', totalSteps: 10, learningRate: 0.002 });
  for (let step = 1; step <= 10; step++) {
    store.add({
      step,
      totalSteps: 10,
      trainBits: 4 - step / 5,
      validationBits: step >= 5 ? (step >= 10 ? 2.1 : 2.6) : undefined,
      tokensPerSecond: 5120,
      elapsedMs: step * 100,
    });
  }
  if (end) store.end(end, end === 'failed' ? 'Training diverged at step 11: the loss became NaN.' : undefined);
  return structuredClone(store.current!);
}

describe('training page messages', () => {
  test('a run (running, finished, failed with its reason), a point and an error pass unchanged', () => {
    for (const data of [run(), run('finished'), run('failed')]) {
      assert.equal(data.points.length, 10);
      assert.deepEqual(parseToTraining({ type: 'training', run: data }), { type: 'training', run: data });
    }
    assert.equal(run().points.filter((p) => p.validationBits !== undefined).length, 2, 'validation recorded where measured');
    const point = { step: 11, trainBits: 1.9, validationBits: 2, tokensPerSecond: 5000, elapsedMs: 1100 };
    assert.deepEqual(parseToTraining({ type: 'trainingPoint', runId: 'abc', point }), { type: 'trainingPoint', runId: 'abc', point });
    const started = { ...run(), points: [] };
    assert.deepEqual(parseToTraining({ type: 'training', run: started }), { type: 'training', run: started });
    assert.deepEqual(parseToTraining({ type: 'error', message: 'no corpus' }), { type: 'error', message: 'no corpus' });
  });

  test('malformed runs are refused, whatever part is wrong', () => {
    const r = run();
    const p = r.points;
    const pointsWith = (i: number, change: Record<string, unknown>) => p.map((q, j) => (j === i ? { ...q, ...change } : q));
    const { points: _points, ...pointless } = r;
    const wrong: [string, unknown][] = [
      ['steps not increasing', { ...r, points: [p[0], p[2], p[1]] }],
      ['a repeated step', { ...r, points: [p[0], p[0]] }],
      ['a negative step', { ...r, points: pointsWith(0, { step: -1 }) }],
      ['a fractional step', { ...r, points: pointsWith(3, { step: 3.5 }) }],
      ['a NaN training loss', { ...r, points: pointsWith(4, { trainBits: Number.NaN }) }],
      ['an infinite validation loss', { ...r, points: pointsWith(4, { validationBits: Infinity }) }],
      ['validation as text', { ...r, points: pointsWith(4, { validationBits: '2.6' }) }],
      ['a negative speed', { ...r, points: pointsWith(2, { tokensPerSecond: -1 }) }],
      ['a missing elapsed time', { ...r, points: pointsWith(2, { elapsedMs: undefined }) }],
      ['a point that is not an object', { ...r, points: [...p, 7] }],
      ['points as an object', { ...r, points: { 0: p[0] } }],
      ['no points', pointless],
      ['an unknown state', { ...r, state: 'paused' }],
      ['a zero learning rate', { ...r, learningRate: 0 }],
      ['a NaN learning rate', { ...r, learningRate: Number.NaN }],
      ['fractional total steps', { ...r, totalSteps: 10.5 }],
      ['an empty id', { ...r, id: '' }],
      ['a message that is not text', { ...r, message: { text: 'x' } }],
      ['a unit that is not text', { ...r, unit: 1 }],
    ];
    for (const [what, data] of wrong) assert.equal(parseToTraining({ type: 'training', run: data }), undefined, what);
  });

  test('malformed points and messages that are not the training page’s are dropped', () => {
    const point = { step: 11, trainBits: 1.9, tokensPerSecond: 5000, elapsedMs: 1100 };
    for (const m of [
      null,
      [],
      'training',
      { type: 'training' },
      { type: 'trainingPoint', point },
      { type: 'trainingPoint', runId: 5, point },
      { type: 'trainingPoint', runId: 'abc' },
      { type: 'trainingPoint', runId: 'abc', point: { ...point, step: -11 } },
      { type: 'trainingPoint', runId: 'abc', point: { ...point, trainBits: Number.NaN } },
      { type: 'trainingPoint', runId: 'abc', point: { ...point, elapsedMs: -Infinity } },
      { type: 'error', message: ['x'] },
      { type: 'spectra', data: run() },
      { type: 'selectNeuron', neuron: 1 },
      { type: 'trainingpoint', runId: 'abc', point },
    ])
      assert.equal(parseToTraining(m), undefined, JSON.stringify(m));
  });
});
