import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { type LanguageModel, modelWeightSpecs } from '../../src/engine/languageModel';
import { loadModel, saveModel } from '../../src/engine/modelFolder';
import { emergenceStep, neuronHistory } from '../../src/engine/neuronHistory';
import { neuronTrace, recordActivations } from '../../src/engine/recorder';
import { trainingRunOptions } from '../../src/engine/trainingRequest';
import { runTraining } from '../../src/engine/trainingRun';
import {
  SNAPSHOTS_DIR,
  SNAPSHOT_INDEX,
  listSnapshots,
  loadSnapshotModel,
  saveSnapshot,
  snapshotFileName,
  thinSnapshots,
} from '../../src/engine/trainingSnapshots';
import { SMALL_TEXT, tempDir, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const RUN = {
  corpus: { name: 'small', text: SMALL_TEXT },
  cell: 'lstm' as const,
  hiddenSize: 8,
  batch: 4,
  seqLen: 16,
  evalEvery: 3,
  maxValidationTokens: 200,
  seed: 5,
};

const TEXT = 'the cat sat on the mat. a dog and a log.';

function weightsOf(model: LanguageModel): Map<string, Float32Array> {
  return new Map([...model.weights].map(([name, v]) => [name, v.dataSync() as Float32Array]));
}

function isError(pattern: RegExp) {
  return (e: unknown) => e instanceof NeuronLensError && pattern.test(e.message);
}

describe('thinning and emergence (pure)', () => {
  test('thinning keeps the first and the last and drops where the gap stays smallest', () => {
    const every10 = Array.from({ length: 11 }, (_, i) => 10 * i);
    assert.deepEqual(
      thinSnapshots(every10, 20),
      every10.map((_, i) => i),
    );
    const kept = thinSnapshots(every10, 6).map((i) => every10[i]!);
    assert.equal(kept.length, 6);
    assert.equal(kept[0], 0);
    assert.equal(kept[5], 100);
    const gaps = kept.slice(1).map((s, i) => s - kept[i]!);
    assert.ok(Math.max(...gaps) <= 30, `gaps ${gaps}`);
    // Crowded early snapshots go before the lone late one.
    assert.deepEqual(thinSnapshots([0, 1, 2, 3, 100], 3), [0, 3, 4]);
    assert.throws(() => thinSnapshots(every10, 1), isError(/at least 2/));
  });

  test('emerged at: the first step from which |d| stays above the threshold', () => {
    const steps = [0, 10, 20, 30, 40];
    assert.equal(emergenceStep(steps, [0.1, 0.5, 1.5, 2, 3], 1), 20);
    // A brief early rise that falls back does not count.
    assert.equal(emergenceStep(steps, [0.1, 2, 0.5, 2, 3], 1), 30);
    assert.equal(emergenceStep(steps, [-2, -2, -2, -2, -2], 1), 0);
    assert.equal(emergenceStep(steps, [2, 2, 2, 2, 0.5], 1), null);
    assert.equal(emergenceStep([], [], 1), null);
  });
});

describe('training snapshots', () => {
  test('training with --snapshot-every k writes the expected index and files', async () => {
    const dir = tempDir();
    const run = await runTraining({ ...RUN, steps: 10, out: dir, checkpointEvery: 5, snapshotEvery: 3 });
    run.loaded.model.dispose();
    const snaps = listSnapshots(dir);
    assert.deepEqual(
      snaps.map((s) => s.step),
      [0, 3, 6, 9, 10],
    );
    assert.deepEqual(
      snaps.map((s) => s.file),
      [0, 3, 6, 9, 10].map(snapshotFileName),
    );
    assert.equal(snaps[1]!.file, 'step-000003.bin');
    const expectedBytes = 4 * modelWeightSpecs(run.loaded.model.architecture).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    for (const s of snaps) {
      assert.equal(fs.statSync(path.join(dir, SNAPSHOTS_DIR, s.file)).size, s.bytes);
      assert.equal(s.bytes, expectedBytes);
    }
    // Validation was measured every 3 steps and at the end, not before training.
    assert.equal(snaps[0]!.validationBits, undefined);
    for (const s of snaps.slice(1)) assert.ok(Number.isFinite(s.validationBits), `validation at step ${s.step}`);
    assert.deepEqual(fs.readdirSync(path.join(dir, SNAPSHOTS_DIR)).sort(), [...snaps.map((s) => s.file), SNAPSHOT_INDEX].sort());
    // The checkpoint itself is untouched by the snapshots and still loads.
    const loaded = await loadModel(dir);
    assert.equal(loaded.training!.steps, 10);
    loaded.model.dispose();
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
  });

  test('snapshotEvery 0 turns snapshots off', async () => {
    const dir = tempDir();
    const run = await runTraining({ ...RUN, steps: 4, out: dir, checkpointEvery: 2, snapshotEvery: 0 });
    run.loaded.model.dispose();
    assert.equal(fs.existsSync(path.join(dir, SNAPSHOTS_DIR)), false);
    assert.deepEqual(listSnapshots(dir), []);
  });

  test("the editor's maxSnapshots: 0 keeps none, n keeps at most n, 1 and other values are refused", () => {
    const base = {
      corpus: { kind: 'default' as const },
      cell: 'lstm' as const,
      level: 'char' as const,
      hiddenSize: 8,
      numLayers: 1,
      steps: 4,
      out: '/tmp/m',
    };
    assert.equal(trainingRunOptions({ ...base, maxSnapshots: 0 }).snapshotEvery, 0);
    const five = trainingRunOptions({ ...base, maxSnapshots: 5 });
    assert.deepEqual([five.snapshotEvery, five.maxSnapshots], [undefined, 5]);
    const unset = trainingRunOptions(base);
    assert.deepEqual([unset.snapshotEvery, unset.maxSnapshots], [undefined, undefined]);
    assert.throws(() => trainingRunOptions({ ...base, maxSnapshots: 1 }), isError(/maxSnapshots \(0 for none, else at least 2\)/));
    assert.throws(() => trainingRunOptions({ ...base, maxSnapshots: 2.5 }), isError(/maxSnapshots/));
  });

  test("a snapshot holds exactly the weights of a checkpoint at the same step, and the last one the final model's", async () => {
    const long = tempDir();
    const short = tempDir();
    (await runTraining({ ...RUN, steps: 8, out: long, checkpointEvery: 100, snapshotEvery: 4 })).loaded.model.dispose();
    (await runTraining({ ...RUN, steps: 4, out: short, checkpointEvery: 100, snapshotEvery: 0 })).loaded.model.dispose();
    const checkpoint4 = await loadModel(short);
    const final = await loadModel(long);
    const [at4, at8] = [4, 8].map((step) =>
      loadSnapshotModel(
        long,
        final.model.architecture,
        listSnapshots(long).find((s) => s.step === step)!,
      ),
    );
    assert.deepEqual(weightsOf(at4!), weightsOf(checkpoint4.model));
    assert.deepEqual(weightsOf(at8!), weightsOf(final.model));
    assert.notDeepEqual(weightsOf(at4!), weightsOf(at8!));
    for (const m of [at4!, at8!, checkpoint4.model, final.model]) m.dispose();
    for (const w of [...(checkpoint4.optimizerWeights ?? []), ...(final.optimizerWeights ?? [])]) w.tensor.dispose();
  });

  test('a resumed run continues the snapshots where the checkpoint left off', async () => {
    const straight = tempDir();
    const split = tempDir();
    const common = { ...RUN, checkpointEvery: 2, snapshotEvery: 2 };
    (await runTraining({ ...common, steps: 8, out: straight })).loaded.model.dispose();
    (await runTraining({ ...common, steps: 4, out: split })).loaded.model.dispose();
    // A temporary file left by an interrupted write is cleaned up by the next snapshot.
    fs.writeFileSync(path.join(split, SNAPSHOTS_DIR, '.step-000006.bin.123.abcd.tmp'), 'partial');
    (await runTraining({ ...common, steps: 8, out: split, resume: true })).loaded.model.dispose();
    assert.deepEqual(
      listSnapshots(split).map((s) => s.step),
      [0, 2, 4, 6, 8],
    );
    assert.deepEqual(
      fs.readdirSync(path.join(split, SNAPSHOTS_DIR)).sort(),
      [...[0, 2, 4, 6, 8].map(snapshotFileName), SNAPSHOT_INDEX].sort(),
    );
    const final = await loadModel(straight);
    const at = (step: number): LanguageModel[] =>
      [straight, split].map((dir) =>
        loadSnapshotModel(
          dir,
          final.model.architecture,
          listSnapshots(dir).find((s) => s.step === step)!,
        ),
      );
    const [a4, b4] = at(4);
    const [a8, b8] = at(8);
    // Before the resume point the snapshots are the same run's; after it, the recurrent state
    // restarted at the resume point, so the weights are close but not identical.
    assert.deepEqual(weightsOf(a4!), weightsOf(b4!));
    const wa = a8!.weight('layers/0/recurrent_kernel').dataSync() as Float32Array;
    const wb = b8!.weight('layers/0/recurrent_kernel').dataSync() as Float32Array;
    const gap = Math.max(...wa.map((x, i) => Math.abs(x - wb[i]!)));
    assert.ok(gap > 0 && gap < 0.05, `largest weight difference ${gap}`);
    for (const m of [a4, b4, a8, b8]) m!.dispose();
    final.model.dispose();
    for (const w of final.optimizerWeights ?? []) w.tensor.dispose();
  });

  test('saving more than maxSnapshots thins the list and the files, keeping the first and the last', async () => {
    const dir = tempDir();
    const { model } = tinyModel('rnn', 'char', 1, 4);
    for (let step = 0; step <= 200; step += 10) await saveSnapshot(dir, model, step, { maxSnapshots: 5 });
    const steps = listSnapshots(dir).map((s) => s.step);
    assert.equal(steps.length, 5);
    assert.equal(steps[0], 0);
    assert.equal(steps[4], 200);
    // Spread over the whole run, not bunched at its end: no gap more than twice the even one (50).
    const gaps = steps.slice(1).map((s, i) => s - steps[i]!);
    assert.ok(Math.max(...gaps) <= 100, `steps ${steps}`);
    assert.deepEqual(fs.readdirSync(path.join(dir, SNAPSHOTS_DIR)).sort(), [...steps.map(snapshotFileName), SNAPSHOT_INDEX].sort());
    // A resumed run that saves an earlier step again replaces what came after it.
    await saveSnapshot(dir, model, 150, { maxSnapshots: 5 });
    const resumed = listSnapshots(dir).map((s) => s.step);
    assert.deepEqual(resumed, [...steps.filter((s) => s < 150), 150]);
    assert.equal(fs.existsSync(path.join(dir, SNAPSHOTS_DIR, snapshotFileName(200))), false);
    model.dispose();
  });

  test('a corrupt or missing index or snapshot gives a message naming the file; the model itself still loads', async () => {
    const dir = tempDir();
    const { model, tokenizer } = tinyModel('rnn', 'char', 1, 4);
    await saveModel(dir, { model, tokenizer });
    await saveSnapshot(dir, model, 0);
    await saveSnapshot(dir, model, 5);
    const indexFile = path.join(dir, SNAPSHOTS_DIR, SNAPSHOT_INDEX);
    const good = fs.readFileSync(indexFile, 'utf8');
    const arch = model.architecture;

    const snapFile = path.join(dir, SNAPSHOTS_DIR, snapshotFileName(5));
    const bytes = fs.readFileSync(snapFile);
    fs.writeFileSync(snapFile, bytes.subarray(0, bytes.length - 8));
    const entry = listSnapshots(dir)[1]!;
    assert.throws(
      () => loadSnapshotModel(dir, arch, entry),
      isError(new RegExp(`Snapshot .*step-000005\\.bin: has ${bytes.length - 8} bytes, expected ${bytes.length} \\(truncated\\)`)),
    );
    await assert.rejects(neuronHistory(dir, { text: TEXT, neuron: 0 }), isError(/step-000005\.bin.*truncated/));
    fs.rmSync(snapFile);
    assert.throws(() => loadSnapshotModel(dir, arch, entry), isError(/step-000005\.bin: the file is missing/));
    const nan = Buffer.from(bytes);
    nan.writeFloatLE(Number.NaN, 0);
    fs.writeFileSync(snapFile, nan);
    assert.throws(() => loadSnapshotModel(dir, arch, entry), isError(/step-000005\.bin: weight layers\/0\/kernel contains NaN/));

    fs.writeFileSync(indexFile, '{"format": "neuron-lens-snap');
    assert.throws(() => listSnapshots(dir), isError(/Invalid snapshot index .*snapshots.index\.json: not valid JSON/));
    fs.writeFileSync(indexFile, good.replace('step-000005.bin', '../model.json'));
    assert.throws(() => listSnapshots(dir), isError(/index\.json: entry 1 names an unsafe file "\.\.\/model\.json"/));
    fs.writeFileSync(indexFile, good.replace('"step": 5', '"step": 0'));
    assert.throws(() => listSnapshots(dir), isError(/entry 1 has step 0; steps must increase/));
    fs.writeFileSync(indexFile, good);
    assert.throws(
      () => loadSnapshotModel(dir, arch, { ...entry, bytes: 12 }),
      isError(new RegExp(`step-000005\\.bin: index\\.json lists 12 bytes, the model's architecture needs ${bytes.length}`)),
    );
    const other = tinyModel('rnn', 'char', 1, 6).model;
    assert.throws(() => loadSnapshotModel(dir, other.architecture, entry), isError(/do not match the model's architecture/));
    other.dispose();

    // None of it affects the model folder itself.
    const loaded = await loadModel(dir);
    assert.deepEqual(weightsOf(loaded.model), weightsOf(model));
    loaded.model.dispose();
    model.dispose();
  });
});

describe('neuron history', () => {
  test('one row per snapshot, the last equal to the final model; no tensor leak', async () => {
    const dir = tempDir();
    (await runTraining({ ...RUN, steps: 9, out: dir, checkpointEvery: 3, snapshotEvery: 3 })).loaded.model.dispose();
    const before = tf.memory().numTensors;
    for (let run = 0; run < 2; run++) {
      const h = await neuronHistory(dir, { text: TEXT, layer: 0, component: 'c', neuron: 2, features: [' ', '/[.]/'] });
      assert.deepEqual(
        h.rows.map((r) => [r.step, r.source]),
        [0, 3, 6, 9].map((s) => [s, 'snapshot']),
      );
      const final = await loadModel(dir);
      const rec = await recordActivations(final, TEXT, { layers: [0], components: ['c'] });
      const trace = neuronTrace(rec.layers[0]!, 'c', 2);
      final.model.dispose();
      for (const w of final.optimizerWeights ?? []) w.tensor.dispose();
      assert.deepEqual(h.rows[3]!.trace, trace);
      assert.equal(h.tokens.length, trace.length);
      for (const r of h.rows) assert.equal(r.trace.length, h.tokens.length);
      assert.equal(h.features[0]!.matches, TEXT.split(' ').length - 1);
      assert.equal(h.features[1]!.matches, 2);
      // Training moves the neuron: its traces differ between the first and the last snapshot.
      assert.notDeepEqual(h.rows[0]!.trace, h.rows[3]!.trace);
      const mean = trace.reduce((a, b) => a + b, 0) / trace.length;
      assert.ok(Math.abs(h.rows[3]!.mean - mean) < 1e-6);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  test('a neuron whose response to spaces appears at a known step is reported as emerged there', async () => {
    const dir = tempDir();
    const { model, tokenizer } = tinyModel('rnn', 'char', 7, 4);
    const space = tokenizer.vocabulary.id(' ');
    const kernel = model.weight('layers/0/kernel');
    const original = kernel.arraySync() as number[][];
    const withSpace = (strength: number): void => {
      const next = original.map((row) => [...row]);
      // Neuron 0 reads nothing from its own past, so its value is set by the current character alone.
      next[space]![0] = strength;
      const t = tf.tensor2d(next);
      kernel.assign(t);
      t.dispose();
    };
    const recurrent = model.weight('layers/0/recurrent_kernel');
    const zeroed = tf.tidy(() => tf.mul(recurrent, tf.tensor2d([[0, 1, 1, 1]])));
    recurrent.assign(zeroed);
    zeroed.dispose();
    // Relevance appears at step 20, vanishes at 30 and comes back for good at 40.
    const strengths: [number, number][] = [
      [0, 0],
      [10, 0],
      [20, 4],
      [30, 0],
      [40, 4],
      [50, 4],
    ];
    for (const [step, strength] of strengths) {
      withSpace(strength);
      await saveSnapshot(dir, model, step);
    }
    await saveModel(dir, {
      model,
      tokenizer,
      training: {
        corpus: 'constructed',
        steps: 50,
        targetSteps: 50,
        completed: true,
        seqLen: 8,
        batch: 1,
        learningRate: 0,
        clipNorm: 1,
        seed: 1,
        history: [],
      },
    });
    model.dispose();
    const h = await neuronHistory(dir, { text: SMALL_TEXT.slice(0, 200), neuron: 0, features: [' ', 'x'] });
    const d = h.rows.map((r) => r.d[0]!);
    assert.ok(
      d.every((x, i) => (strengths[i]![1] > 0 ? x > 1 : Math.abs(x) < 1)),
      `d per step ${d.map((x) => x.toFixed(2))}`,
    );
    assert.deepEqual(
      h.features.map((f) => [f.feature, f.emergedAt]),
      [
        [' ', 40],
        ['x', null],
      ],
    );
    // A higher threshold than any d: never emerged.
    const strict = await neuronHistory(dir, { text: SMALL_TEXT.slice(0, 200), neuron: 0, features: [' '], threshold: 1000 });
    assert.equal(strict.features[0]!.emergedAt, null);
  });

  test('bad requests are refused with clear messages; cancellation stops it', async () => {
    const dir = tempDir();
    const { model, tokenizer } = tinyModel('rnn', 'char', 1, 4);
    await saveModel(dir, { model, tokenizer });
    await saveSnapshot(dir, model, 0);
    model.dispose();
    await assert.rejects(neuronHistory(dir, { text: TEXT, neuron: 4 }), isError(/Neuron 4 does not exist: layer 0 has 4 neurons/));
    await assert.rejects(neuronHistory(dir, { text: TEXT, neuron: 0, layer: 1 }), isError(/Layer 1 does not exist/));
    await assert.rejects(neuronHistory(dir, { text: TEXT, neuron: 0, threshold: -1 }), isError(/threshold/));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      neuronHistory(dir, { text: TEXT, neuron: 0, signal: controller.signal }),
      (e: unknown) => e instanceof NeuronLensError && e.code === 'cancelled',
    );
    // A folder without snapshots has one row: the model itself.
    const plain = tempDir();
    const m = tinyModel('rnn', 'char', 1, 4);
    await saveModel(plain, m);
    m.model.dispose();
    const h = await neuronHistory(plain, { text: TEXT, neuron: 1 });
    assert.deepEqual(
      h.rows.map((r) => [r.step, r.source]),
      [[0, 'model']],
    );
  });
});

describe('CLI: train --snapshot-every and history', () => {
  async function run(colour: boolean, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour };
    const code = await main([...argv, '--backend', 'wasm'], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  test('a CLI-trained model has snapshots; history prints the table, emergence and one coloured line per snapshot', async () => {
    const dir = tempDir();
    const corpus = path.join(dir, 'corpus.txt');
    fs.writeFileSync(corpus, SMALL_TEXT);
    const out = path.join(dir, 'model');
    const small = ['--hidden', '8', '--batch', '4', '--seq-len', '16', '--eval-every', '2', '--seed', '2', '--corpus', corpus];
    const trained = await run(false, 'train', '--out', out, '--steps', '6', '--checkpoint-every', '3', '--snapshot-every', '2', ...small);
    assert.equal(trained.code, 0, trained.err);
    assert.deepEqual(
      listSnapshots(out).map((s) => s.step),
      [0, 2, 4, 6],
    );

    const json = await run(
      false,
      'history',
      '--model',
      out,
      '--text',
      TEXT,
      '--neuron',
      '1',
      '--feature',
      ' ',
      '--feature',
      'zz',
      '--json',
    );
    assert.equal(json.code, 0, json.err);
    const h = JSON.parse(json.out);
    assert.deepEqual(
      h.rows.map((r: { step: number }) => r.step),
      [0, 2, 4, 6],
    );
    assert.equal(h.rows[0].trace.length, h.tokens.length);
    assert.deepEqual(Object.keys(h.rows[1].d), [' ', 'zz']);
    assert.equal(h.rows[1].d.zz, 0);
    assert.deepEqual(
      h.features.map((f: { feature: string; matches: number }) => [f.feature, f.matches]),
      [
        [' ', 10],
        ['zz', 0],
      ],
    );

    const text = await run(true, 'history', '--model', out, '--text', TEXT, '--neuron', '1', '--feature', ' ');
    assert.equal(text.code, 0, text.err);
    const lines = text.out.split('\n');
    assert.match(lines[0]!, /layer 0 h neuron 1: 4 snapshots, 40 tokens/);
    assert.match(text.out, /^ +step +val bits +mean +std +d " "$/m);
    for (const [i, step] of [0, 2, 4, 6].entries()) {
      const row = h.rows[i];
      assert.match(text.out, new RegExp(`^ +${step} .* ${row.mean.toFixed(3)} +${row.std.toFixed(3)} +${row.d[' '].toFixed(2)}$`, 'm'));
      // The coloured line: 24-bit background escapes, one per token shown.
      const coloured = lines.find((l) => l.startsWith(`${String(step).padStart(8)} \x1b[48;2;`));
      assert.ok(coloured, `coloured line for step ${step}`);
      assert.equal(coloured.split('\x1b[48;2;').length - 1, 40);
    }
    assert.match(text.out, /^" ": (emerged at step \d+|not emerged)/m);

    const missing = await run(false, 'history', '--model', out, '--text', TEXT);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /--neuron is required/);
    fs.writeFileSync(path.join(out, SNAPSHOTS_DIR, SNAPSHOT_INDEX), '[]');
    const broken = await run(false, 'history', '--model', out, '--text', TEXT, '--neuron', '0');
    assert.equal(broken.code, 1);
    assert.match(broken.err, /Invalid snapshot index .*index\.json: format undefined/);
    // The model itself still works for other commands.
    const info = await run(false, 'activations', '--model', out, '--text', 'the cat', '--json');
    assert.equal(info.code, 0, info.err);
  });
});
