import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { initBackend } from '../../src/engine/backend';
import { EngineSession } from '../../src/engine/engineSession';
import { saveModel } from '../../src/engine/modelFolder';
import { type ActivityInput, type EngineRequest, neuronActivity } from '../../src/extension/sidePanel/neuronActivity';
import { SparklineBuckets, sparklineAxis } from '../../src/extension/sidePanel/sparklineBuckets';
import type { MethodName } from '../../src/shared/protocol';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

/**
 * The side panel's neuron list: sparklines that keep each bucket's extreme with its sign, and the
 * engine requests behind them, which must give the same numbers however the work is split.
 */
describe('sparkline buckets', () => {
  test('each bucket keeps the value furthest from the baseline, with its sign', () => {
    const b = new SparklineBuckets(2, 3, 0, 1);
    // Two neurons, three tokens, one bucket.
    b.add(Float32Array.from([0.1, 0.3, -0.8, 0.2, 0.5, -0.25]), 0);
    assert.deepEqual([...b.values], [Math.fround(-0.8), Math.fround(0.3)]);
  });

  test('for gates the baseline is 0.5: a value near 0 is as extreme as one near 1', () => {
    const b = new SparklineBuckets(1, 3, 0.5, 1);
    b.add(Float32Array.from([0.6, 0.05, 0.9]), 0);
    assert.equal(b.values[0], Math.fround(0.05));
  });

  test('NaN never wins a bucket; a bucket of NaN only stays at the baseline', () => {
    const b = new SparklineBuckets(1, 4, 0, 2);
    b.add(Float32Array.from([Number.NaN, 0.3, Number.NaN, Number.NaN]), 0);
    assert.deepEqual([...b.values], [Math.fround(0.3), 0]);
  });

  test('buckets differ in size by at most one token and cover every token once', () => {
    const tokens = 130;
    const b = new SparklineBuckets(1, tokens, 0, 64);
    const sizes = new Array<number>(64).fill(0);
    for (let t = 0; t < tokens; t++) sizes[b.bucketOf(t)]!++;
    assert.ok(
      sizes.every((s) => s === 2 || s === 3),
      sizes.join(','),
    );
    assert.equal(b.bucketOf(0), 0);
    assert.equal(b.bucketOf(tokens - 1), 63);
  });

  test('a short document gets one point per token', () => {
    const b = new SparklineBuckets(2, 3, 0);
    b.add(Float32Array.from([1, 2, 3, 4, 5, 6]), 0);
    assert.equal(b.points, 3);
    assert.deepEqual([...b.values], [1, 3, 5, 2, 4, 6]);
  });

  test('rows added in any chunks give the same sparklines as all at once', () => {
    const units = 3;
    const tokens = 257;
    const rows = Float32Array.from({ length: tokens * units }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const whole = new SparklineBuckets(units, tokens, 0);
    whole.add(rows, 0);
    for (const chunk of [1, 5, 64, 100]) {
      const parts = new SparklineBuckets(units, tokens, 0);
      for (let t = 0; t < tokens; t += chunk) parts.add(rows.subarray(t * units, Math.min(tokens, t + chunk) * units), t);
      assert.deepEqual(parts.values, whole.values, `chunks of ${chunk}`);
    }
  });

  test('rows outside the document are refused', () => {
    const b = new SparklineBuckets(2, 3, 0);
    assert.throws(() => b.add(new Float32Array(4), 2), RangeError);
    assert.throws(() => b.add(new Float32Array(2), -1), RangeError);
  });

  test('the shared axis: natural ranges for bounded components, the 99th percentile for unbounded ones', () => {
    assert.deepEqual(sparklineAxis('signed', Float32Array.of(5)), { lo: -1, hi: 1, baseline: 0 });
    assert.deepEqual(sparklineAxis('unit', Float32Array.of(5)), { lo: 0, hi: 1, baseline: 0.5 });
    // 0…99 and one outlier of −1000: the outlier does not set the scale.
    const values = Float32Array.from({ length: 101 }, (_, i) => (i === 100 ? -1000 : i));
    assert.deepEqual(sparklineAxis('unbounded', values), { lo: -99, hi: 99, baseline: 0 });
    assert.deepEqual(sparklineAxis('unbounded', new Float32Array(3)), { lo: -1, hi: 1, baseline: 0 });
  });
});

describe('neuron activity through the engine', () => {
  const session = new EngineSession();
  let dirA = '';
  let dirB = '';
  const calls: MethodName[] = [];
  /** Tokens computed after each analyze request. */
  const computed: number[] = [];
  const request: EngineRequest = async (method, params, options) => {
    calls.push(method);
    const call = session[method as 'analyze'] as (p: unknown, s?: AbortSignal) => Promise<never>;
    const result = await call.call(session, params, options?.signal);
    if (method === 'analyze') computed.push((result as { computed: number }).computed);
    return result;
  };
  const input = (extra: Partial<ActivityInput> = {}): ActivityInput => ({
    docId: 'side-panel',
    name: 'small.txt',
    version: 1,
    text: SMALL_TEXT,
    cut: false,
    layer: 0,
    component: 'h',
    maxTokens: 10_000,
    ...extra,
  });

  /** The expected answer, straight from one whole-document analysis in another session. */
  async function reference(component: string, maxTokens = 10_000) {
    const docId = `reference-${component}-${maxTokens}`;
    const r = await session.analyze({ docId, version: 1, text: SMALL_TEXT, layer: 0, component, maxTokens });
    const m = await session.componentMatrix({ docId });
    const d = await session.describeNeurons({ docId, topTokens: 0 });
    const baseline = m.range === 'unit' ? 0.5 : 0;
    const points = Math.min(64, r.computed);
    const sparklines = new Float32Array(r.units * points).fill(baseline);
    const best = new Float64Array(r.units * points).fill(-1);
    for (let t = 0; t < r.computed; t++) {
      const k = Math.floor((t * points) / r.computed);
      for (let n = 0; n < r.units; n++) {
        const v = m.values[t * r.units + n]!;
        if (Math.abs(v - baseline) > best[n * points + k]!) {
          best[n * points + k] = Math.abs(v - baseline);
          sparklines[n * points + k] = v;
        }
      }
    }
    return { r, m, d, sparklines, points };
  }

  before(async () => {
    await initBackend('wasm');
    for (const seed of [5, 6]) {
      const m = tinyModel('lstm', 'char', seed, 8, 1);
      const dir = tempDir();
      await saveModel(dir, m);
      m.model.dispose();
      if (seed === 5) dirA = dir;
      else dirB = dir;
    }
    await session.loadModel({ dir: dirA });
  });

  after(async () => {
    await session.dispose();
  });

  test('sparklines, means and spreads match a direct computation of the whole document', async () => {
    const ref = await reference('h');
    const data = await neuronActivity(request, input());
    assert.ok(data);
    assert.equal(data.tokens, SMALL_TEXT.length);
    assert.equal(data.units, 8);
    assert.equal(data.points, 64);
    assert.equal(data.truncated, false);
    assert.deepEqual(data.sparklines, ref.sparklines);
    assert.deepEqual(
      [...data.mean],
      ref.d.neurons.map((n) => Math.fround(n.mean)),
    );
    assert.deepEqual(
      [...data.std],
      ref.d.neurons.map((n) => Math.fround(n.std)),
    );
    assert.deepEqual([data.lo, data.hi, data.baseline], [-1, 1, 0]);
    assert.equal(data.document, 'small.txt');
  });

  test('split into many small requests, the answer is the same to the last bit', async () => {
    const whole = await neuronActivity(request, input({ docId: 'whole' }));
    calls.length = 0;
    computed.length = 0;
    const split = await neuronActivity(request, input({ docId: 'split' }), undefined, {
      analysisTokens: 100,
      matrixValues: 8 * 37,
      points: 64,
    });
    assert.deepEqual(split, whole);
    const count = (m: MethodName) => calls.filter((c) => c === m).length;
    // The engine rounds each stop up to its 64-token snapshot blocks: 100 asked, at most 100 + 64 done.
    const steps = computed.map((c, i) => c - (computed[i - 1] ?? 0));
    assert.ok(steps.length > 1 && steps.every((d) => d > 0 && d <= 164), `tokens per analysis: ${steps.join(', ')}`);
    assert.equal(computed.at(-1), SMALL_TEXT.length);
    assert.equal(count('componentMatrix'), Math.ceil(SMALL_TEXT.length / 37));
    assert.equal(count('describeNeurons'), 1);
  });

  test('gates rest at 0.5 and cell states get a scale from their values', async () => {
    const gate = await neuronActivity(request, input({ component: 'f' }));
    assert.deepEqual([gate!.lo, gate!.hi, gate!.baseline], [0, 1, 0.5]);
    assert.deepEqual(gate!.sparklines, (await reference('f')).sparklines);
    const cell = await neuronActivity(request, input({ component: 'c' }));
    assert.ok(cell!.hi > 0 && cell!.lo === -cell!.hi && cell!.baseline === 0);
    const max = Math.max(...cell!.sparklines.map(Math.abs));
    assert.ok(cell!.hi <= max, `the scale ${cell!.hi} is within the values (max ${max})`);
  });

  test('a document beyond maxTokens is listed up to it, and says so', async () => {
    const data = await neuronActivity(request, input({ maxTokens: 500 }));
    assert.equal(data!.tokens, 500);
    assert.equal(data!.truncated, true);
    assert.deepEqual(data!.sparklines, (await reference('h', 500)).sparklines);
    const cut = await neuronActivity(request, input({ text: SMALL_TEXT.slice(0, 300), cut: true }));
    assert.equal(cut!.truncated, true, 'a text cut before it was sent is truncated too');
  });

  test('a short document has one point per token', async () => {
    const data = await neuronActivity(request, input({ text: 'abc' }));
    assert.equal(data!.points, 3);
    assert.equal(data!.sparklines.length, 24);
  });

  test('another model made active midway gives no answer rather than a mix of two models', async () => {
    let swapped = false;
    const swapping: EngineRequest = async (method, params, options) => {
      const result = await request(method, params, options);
      if (!swapped) {
        swapped = true;
        await session.loadModel({ dir: dirB });
      }
      return result;
    };
    const data = await neuronActivity(swapping, input({ docId: 'swap' }), undefined, {
      analysisTokens: 100,
      matrixValues: 1 << 20,
      points: 64,
    });
    assert.equal(data, undefined);
    await session.loadModel({ dir: dirA });
  });

  test('a cancelled signal stops it', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(neuronActivity(request, input({ docId: 'cancelled' }), controller.signal), /cancel/i);
  });
});
