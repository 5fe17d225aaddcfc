import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { pearson } from '../../src/engine/correlation';
import { saveModel } from '../../src/engine/modelFolder';
import { compareTraces } from '../../src/engine/neuronComparison';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

const BINS = 10;
/** 200 tokens, each value at the centre of one of 10 equal bins over [0, 1]. */
const A = Float32Array.from({ length: 200 }, (_, t) => ((t * 7) % BINS) / BINS + 0.05);

describe('neuron comparison', () => {
  it('a linear copy: r = ρ = 1 and every token on the histogram diagonal', () => {
    const b = A.map((x) => 2 * x + 1);
    const c = compareTraces(A, b, { bins: BINS });
    assert.ok(Math.abs(c.pearson - 1) < 1e-6 && Math.abs(c.spearman - 1) < 1e-12);
    assert.equal(c.tokens, 200);
    const { counts } = c.histogram;
    for (let i = 0; i < BINS; i++) for (let j = 0; j < BINS; j++) assert.equal(counts[i * BINS + j], i === j ? 20 : 0, `cell ${i},${j}`);
    assert.deepEqual(c.histogram.aRange, [A.reduce((m, x) => Math.min(m, x)), A.reduce((m, x) => Math.max(m, x))]);
  });

  it('tells a monotonic relation (Spearman 1) from a linear one, and a mirror image (−1)', () => {
    const cube = compareTraces(
      A,
      A.map((x) => x ** 3),
    );
    assert.equal(cube.spearman, 1);
    assert.ok(cube.pearson < 0.95, `r = ${cube.pearson}`);
    const mirror = compareTraces(
      A,
      A.map((x) => -x),
    );
    assert.ok(Math.abs(mirror.pearson + 1) < 1e-6 && Math.abs(mirror.spearman + 1) < 1e-12);
    const diagonal = mirror.histogram.counts;
    assert.equal(diagonal[0 * 20 + 19], 20, 'the lowest A bin holds the highest B values');
  });

  it('lists first the tokens where the two differ, whatever their scales', () => {
    const a = Float32Array.from({ length: 300 }, (_, t) => Math.sin(t / 5));
    const b = a.map((x) => 10 * x);
    b[37] = -10 * a[37]! - 5;
    b[200] = 10 * a[200]! + 8;
    const c = compareTraces(a, b, { disagreements: 3 });
    assert.deepEqual(
      c.disagreements.slice(0, 2).map((d) => d.token),
      [37, 200],
    );
    assert.ok(c.disagreements[0]!.difference > 0, 'A is above B there, in z-scores');
    assert.equal(c.disagreements.length, 3);
  });

  it('samples distinct ascending positions with their values, the same for the same seed', () => {
    const b = A.map((x) => 1 - x);
    const c = compareTraces(A, b, { sampleSize: 50, seed: 3 });
    const { index } = c.sample;
    assert.equal(index.length, 50);
    assert.ok(index.every((t, i) => t >= 0 && t < 200 && (i === 0 || t > index[i - 1]!)));
    assert.deepEqual(
      c.sample.a,
      Float32Array.from(index, (t) => A[t]!),
    );
    assert.deepEqual(
      c.sample.b,
      Float32Array.from(index, (t) => b[t]!),
    );
    assert.deepEqual(compareTraces(A, b, { sampleSize: 50, seed: 3 }).sample.index, index);
    assert.notDeepEqual(compareTraces(A, b, { sampleSize: 50, seed: 4 }).sample.index, index);
    assert.equal(compareTraces(A, b, { sampleSize: 500 }).sample.index.length, 200);
  });

  it('refuses traces that cannot be compared', () => {
    assert.throws(() => compareTraces(A, A.subarray(1)), /different tokens \(200 and 199\)/);
    assert.throws(() => compareTraces(Float32Array.of(1), Float32Array.of(2)), /at least 2 tokens/);
    assert.throws(
      () =>
        compareTraces(
          A,
          A.map((x, t) => (t === 5 ? NaN : x)),
        ),
      /second trace contains values that are not finite/,
    );
    assert.throws(() => compareTraces(A, A, { bins: 0 }), /bins must be an integer from 1 to 1000, not 0/);
  });
});

describe('compare command', () => {
  async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function savedModel(seed: number, level: 'char' | 'word' = 'char'): Promise<string> {
    await initBackend('wasm');
    const dir = tempDir();
    const m = tinyModel('lstm', level, seed, 6);
    await saveModel(dir, m);
    m.model.dispose();
    return dir;
  }

  it('compares two neurons of a model and one neuron across two models', async () => {
    const a = await savedModel(1);
    const b = await savedModel(2);
    const text = SMALL_TEXT.slice(0, 200);
    const r = await run('compare', '--model', a, '--text', text, '--neuron', '0', '--with', '3', '--json');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.equal(json.tokens.length, 200);
    assert.deepEqual([json.a.neuron, json.b.neuron], [0, 3]);
    assert.ok(Math.abs(json.pearson - pearson(json.a.values, json.b.values)) < 1e-4);
    assert.equal(
      json.histogram.counts.flat().reduce((s: number, x: number) => s + x, 0),
      200,
    );
    assert.equal(json.sample.index.length, 200);

    const across = await run('compare', '--model', a, '--model-b', b, '--text', text, '--neuron', '2');
    assert.equal(across.code, 0, across.err);
    assert.match(
      across.out,
      new RegExp(
        `^A: ${a} layer 0 h neuron 2\\nB: ${b} layer 0 h neuron 2\\n200 tokens; Pearson r -?[01]\\.\\d{3}, Spearman ρ -?[01]\\.\\d{3}`,
      ),
    );
    assert.equal(across.out.split('\n').filter((l) => /^ {4}\|.{12}\|$/.test(l)).length, 12, 'a 12 × 12 histogram grid');

    assert.match((await run('compare', '--model', a, '--text', text, '--neuron', '1')).err, /Both sides are the same neuron/);
    assert.match(
      (await run('compare', '--model', a, '--text', text, '--neuron', '9', '--with', '0')).err,
      /Neuron 9 does not exist: layer 0 has 6 neurons/,
    );
    const word = await savedModel(1, 'word');
    assert.match(
      (await run('compare', '--model', a, '--model-b', word, '--text', text, '--neuron', '0')).err,
      /split the text into different tokens/,
    );
  });
});
