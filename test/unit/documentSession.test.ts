import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { AnalyzeParams, AnalyzeResult } from '../../src/shared/protocol';
import { initBackend } from '../../src/engine/backend';
import type { CellKind } from '../../src/engine/cells/recurrentCell';
import { DocumentSession, type RecordingModel, SNAPSHOT_INTERVAL } from '../../src/engine/documentSession';
import { CancelledError, NeuronLensError } from '../../src/engine/errors';
import { createStreamingRunner } from '../../src/engine/inference/createRunner';
import type { StreamingRunner } from '../../src/engine/inference/streamingRunner';
import { Random } from '../../src/engine/random';
import { recordActivations } from '../../src/engine/recorder';
import type { TokenLevel } from '../../src/engine/tokenizer';
import { SMALL_TEXT, tinyModel } from './helpers';

before(async () => {
  await initBackend('wasm');
});

const models: RecordingModel[] = [];
let nextId = 1;

function recordingModel(cell: CellKind, level: TokenLevel, seed: number, hidden: number, layers: number): RecordingModel {
  const m = tinyModel(cell, level, seed, hidden, layers);
  const rm = { id: nextId++, model: m.model, tokenizer: m.tokenizer, runner: createStreamingRunner(m.model) };
  models.push(rm);
  return rm;
}

after(() => {
  for (const m of models) {
    m.runner.dispose();
    m.model.dispose();
  }
});

type Ref = Pick<AnalyzeParams, 'layer' | 'component'>;

function params(text: string, ref: Ref, extra: Partial<AnalyzeParams> = {}): AnalyzeParams {
  return { docId: 'doc', version: 1, text, maxTokens: 100_000, ...ref, ...extra };
}

/** Analyses from scratch in a new session: the reference every incremental result must equal. */
async function fresh(m: RecordingModel, text: string, ref: Ref, extra: Partial<AnalyzeParams> = {}) {
  const s = new DocumentSession('fresh');
  const result = await s.analyze(m, params(text, ref, extra));
  return { result, values: s.values.slice() };
}

/** Bit-for-bit equality of two Float32Arrays, naming the first difference. */
function assertSameBits(actual: Float32Array, expected: Float32Array, units: number, context: string): void {
  assert.equal(actual.length, expected.length, `${context}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((x, k) => x !== b[k]);
  assert.equal(i, -1, `${context}: token ${Math.floor(i / units)} unit ${i % units}: ${actual[i]} ≠ ${expected[i]}`);
}

function assertSameTokens(actual: AnalyzeResult, expected: AnalyzeResult): void {
  assert.deepEqual([...actual.starts], [...expected.starts]);
  assert.deepEqual([...actual.ends], [...expected.ends]);
  assert.equal(actual.totalTokens, expected.totalTokens);
  assert.equal(actual.truncated, expected.truncated);
}

/** Index of the first token that differs between two texts' tokenizations, computed independently. */
function firstChangedToken(m: RecordingModel, before: string, after: string): number {
  const a = m.tokenizer.tokenize(before);
  const b = m.tokenizer.tokenize(after);
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.start === b[i]!.start && a[i]!.text === b[i]!.text) i++;
  return i;
}

const INSERTS = ['x', ' ', '\r\n', '\t', '👍', 'e\u0301', 'the ', 'cat', '.', '\n', 'dogs sat', 'matlog'];

function randomEdit(rng: Random, text: string): { text: string; at: number; what: string } {
  const where = rng.next();
  const at = where < 0.15 ? 0 : where < 0.3 ? text.length : rng.int(text.length + 1);
  const op = text.length > 600 ? 1 : text.length < 150 ? 0 : rng.int(3);
  const removed = op === 0 ? 0 : Math.min(text.length - at, 1 + rng.int(12));
  const inserted = op === 1 ? '' : INSERTS[rng.int(INSERTS.length)]!;
  const what = `${['insert', 'delete', 'replace'][op]} ${JSON.stringify(text.slice(at, at + removed))}→${JSON.stringify(inserted)} at ${at}/${text.length}`;
  return { text: text.slice(0, at) + inserted + text.slice(at + removed), at, what };
}

describe('document session: causal cache', () => {
  test('a fresh analysis records what recordActivations records, token for token', async () => {
    const m = recordingModel('lstm', 'char', 5, 8, 2);
    const text = 'the cat sat on the mat.\r\nthe dog\tsat 👍 on e\u0301 log.'.repeat(4);
    const { result, values } = await fresh(m, text, { layer: 1, component: 'cell' });
    const rec = await recordActivations(m, text, { layers: [1], components: ['c'] });
    assert.deepEqual(
      [...result.starts],
      rec.tokens.map((t) => t.start),
    );
    assert.deepEqual(
      [...result.ends],
      rec.tokens.map((t) => t.end),
    );
    assert.equal(result.units, 8);
    assert.equal(result.computed, rec.tokens.length);
    assert.equal(result.recomputedFrom, 0);
    const expected = rec.layers[0]!.components['c']!;
    assert.ok(
      values.every((v, i) => Math.abs(v - expected[i]!) < 1e-5),
      'values differ from the tfjs recording',
    );
  });

  test('after random edits (char LSTM, 2 layers) the values equal a recompute from scratch bit for bit', async () => {
    const m = recordingModel('lstm', 'char', 7, 8, 2);
    const ref = { layer: 1, component: 'c' };
    const session = new DocumentSession('doc');
    const rng = new Random(42);
    let text = SMALL_TEXT.slice(0, 400).replace(/\n/g, '\r\n');
    await session.analyze(m, params(text, ref));
    let lateEdits = 0;
    for (let i = 0; i < 60; i++) {
      const edit = randomEdit(rng, text);
      const changed = firstChangedToken(m, text, edit.text);
      const unchanged = edit.text === text;
      text = edit.text;
      const result = await session.analyze(m, params(text, ref, { version: i + 2 }));
      const expected = await fresh(m, text, ref);
      assertSameTokens(result, expected.result);
      assert.equal(result.version, i + 2);
      assert.equal(result.computed, expected.result.computed);
      assertSameBits(session.values, expected.values, 8, `edit ${i}: ${edit.what}`);
      // An edit that changes nothing (deleting at the end) recomputes nothing.
      const expectedFrom = unchanged ? result.computed : changed - (changed % SNAPSHOT_INTERVAL);
      assert.equal(result.recomputedFrom, expectedFrom, `edit ${i}: ${edit.what}`);
      if (changed >= SNAPSHOT_INTERVAL) {
        assert.ok(result.recomputedFrom > 0, `edit ${i}: ${edit.what}`);
        lateEdits++;
      }
    }
    assert.ok(lateEdits > 20, `only ${lateEdits} edits were late enough to reuse the cache`);
  });

  test('word-level GRU: edits that merge and split tokens change the token before the edit point', async () => {
    const m = recordingModel('gru', 'word', 11, 8, 1);
    const ref = { layer: 0, component: 'h' };
    const session = new DocumentSession('doc');
    let text = SMALL_TEXT.slice(0, 900);
    await session.analyze(m, params(text, ref));
    const at = text.lastIndexOf('cat');
    const steps: { name: string; next: (t: string) => string; changedBeforeEditPoint: boolean }[] = [
      // "cat" + "s" → "cats": the word before the insertion point becomes another token.
      { name: 'append to a word', next: (t) => t.slice(0, at + 3) + 's' + t.slice(at + 3), changedBeforeEditPoint: true },
      // "cats" → "ca ts": one token split in two.
      { name: 'split a word', next: (t) => t.slice(0, at + 2) + ' ' + t.slice(at + 2), changedBeforeEditPoint: true },
      // "ca ts" → "cats" again: two tokens merged.
      { name: 'merge two words', next: (t) => t.slice(0, at + 2) + t.slice(at + 3), changedBeforeEditPoint: true },
      // A space inserted into a run of spaces: the whitespace token before the edit grows.
      { name: 'widen a space', next: (t) => t.slice(0, at + 5) + '  ' + t.slice(at + 5), changedBeforeEditPoint: true },
      { name: 'CRLF in the middle', next: (t) => t.slice(0, at) + '\r\n' + t.slice(at), changedBeforeEditPoint: false },
      { name: 'emoji and tab at the start', next: (t) => '👍\t' + t, changedBeforeEditPoint: false },
      { name: 'delete at the end', next: (t) => t.slice(0, -7), changedBeforeEditPoint: true },
    ];
    for (const step of steps) {
      const before = text;
      text = step.next(text);
      const changed = firstChangedToken(m, before, text);
      let editPoint = 0;
      while (editPoint < text.length && before[editPoint] === text[editPoint]) editPoint++;
      const tokens = m.tokenizer.tokenize(text);
      const changedStart = changed < tokens.length ? tokens[changed]!.start : text.length;
      if (step.changedBeforeEditPoint) assert.ok(changedStart < editPoint, `${step.name}: token ${changed} starts at ${changedStart}`);
      else assert.equal(changedStart, editPoint, step.name);
      const result = await session.analyze(m, params(text, ref));
      const expected = await fresh(m, text, ref);
      assertSameTokens(result, expected.result);
      assertSameBits(session.values, expected.values, 8, step.name);
      assert.equal(result.recomputedFrom, changed - (changed % SNAPSHOT_INTERVAL), step.name);
    }
    // The last edits were late in a text of several hundred tokens: the cache was used.
    assert.ok(m.tokenizer.tokenize(text).length > 3 * SNAPSHOT_INTERVAL);
  });

  test('random word-level edits (LSTM with embedding) equal a recompute bit for bit', async () => {
    const m = recordingModel('lstm', 'word', 13, 6, 2);
    const ref = { layer: 0, component: 'forget' };
    const session = new DocumentSession('doc');
    const rng = new Random(7);
    let text = SMALL_TEXT.slice(0, 500);
    for (let i = 0; i < 40; i++) {
      text = randomEdit(rng, text).text;
      await session.analyze(m, params(text, ref));
      assertSameBits(session.values, (await fresh(m, text, ref)).values, 6, `edit ${i}`);
    }
  });

  test('untilOffset stops after the token containing it; a later call continues and equals a full run', async () => {
    const m = recordingModel('rnn', 'char', 3, 8, 1);
    const ref = { layer: 0, component: 'h' };
    const text = SMALL_TEXT.slice(0, 500);
    const session = new DocumentSession('doc');
    const first = await session.analyze(m, params(text, ref, { untilOffset: 100 }));
    assert.equal(first.starts.length, 500);
    assert.ok(first.computed > 100 && first.computed < 500, `computed ${first.computed}`);
    assert.equal(first.computed % SNAPSHOT_INTERVAL, 0);
    assert.equal(session.values.length, first.computed * 8);
    // Asking for less than is known computes nothing.
    const again = await session.analyze(m, params(text, ref, { untilOffset: 10 }));
    assert.equal(again.computed, first.computed);
    assert.equal(again.recomputedFrom, first.computed);
    const rest = await session.analyze(m, params(text, ref));
    assert.equal(rest.recomputedFrom, first.computed);
    assert.equal(rest.computed, 500);
    assertSameBits(session.values, (await fresh(m, text, ref)).values, 8, 'continued');
    // An offset past the end, or at it, means everything.
    const s2 = new DocumentSession('doc');
    assert.equal((await s2.analyze(m, params(text, ref, { untilOffset: text.length }))).computed, 500);
  });

  test('a partial analysis followed by an edit before its end, then by a continuation', async () => {
    const m = recordingModel('lstm', 'char', 4, 8, 1);
    const ref = { layer: 0, component: 'h' };
    let text = SMALL_TEXT.slice(0, 600);
    const session = new DocumentSession('doc');
    await session.analyze(m, params(text, ref, { untilOffset: 300 }));
    text = text.slice(0, 200) + 'XYZ' + text.slice(200);
    const edited = await session.analyze(m, params(text, ref, { untilOffset: 250 }));
    assert.equal(edited.recomputedFrom, 192);
    const done = await session.analyze(m, params(text, ref));
    assert.equal(done.computed, 603);
    assertSameBits(session.values, (await fresh(m, text, ref)).values, 8, 'after partial edits');
  });

  test('maxTokens truncates, and raising it continues from the cache', async () => {
    const m = recordingModel('gru', 'char', 9, 8, 1);
    const ref = { layer: 0, component: 'update' };
    const text = SMALL_TEXT.slice(0, 300);
    const session = new DocumentSession('doc');
    const cut = await session.analyze(m, params(text, ref, { maxTokens: 100 }));
    assert.equal(cut.truncated, true);
    assert.equal(cut.totalTokens, 300);
    assert.equal(cut.starts.length, 100);
    assert.equal(cut.ends[99], 100);
    assert.equal(cut.computed, 100);
    assertSameBits(session.values, (await fresh(m, text, ref, { maxTokens: 100 })).values, 8, 'truncated');
    const full = (await fresh(m, text, ref)).values;
    assert.ok(session.values.every((v, i) => Math.abs(v - full[i]!) < 1e-6));
    const more = await session.analyze(m, params(text, ref, { maxTokens: 1000 }));
    assert.equal(more.truncated, false);
    assert.equal(more.recomputedFrom, 64);
    assertSameBits(session.values, full, 8, 'after raising maxTokens');
    const fewer = await session.analyze(m, params(text, ref, { maxTokens: 70 }));
    assert.equal(fewer.recomputedFrom, 64);
    assertSameBits(session.values, (await fresh(m, text, ref, { maxTokens: 70 })).values, 8, 'after lowering maxTokens');
  });

  test('another model, layer or component recomputes from the first token', async () => {
    const a = recordingModel('lstm', 'char', 1, 8, 2);
    const b = recordingModel('lstm', 'char', 2, 8, 2);
    const text = SMALL_TEXT.slice(0, 200);
    const session = new DocumentSession('doc');
    await session.analyze(a, params(text, { layer: 0, component: 'h' }));
    assert.equal(session.analysedWith, a.id);
    const changes: [RecordingModel, Ref][] = [
      [b, { layer: 0, component: 'h' }],
      [b, { layer: 1, component: 'h' }],
      [b, { layer: 1, component: 'o' }],
      [a, { layer: 1, component: 'o' }],
    ];
    for (const [m, ref] of changes) {
      const r = await session.analyze(m, params(text, ref));
      assert.equal(r.recomputedFrom, 0);
      assert.equal(r.modelId, m.id);
      assert.equal(session.analysedWith, m.id);
      assert.equal(session.component, ref.component);
      assertSameBits(session.values, (await fresh(m, text, ref)).values, 8, `${m.id} ${ref.layer}/${ref.component}`);
    }
    // The same text, model and component again: nothing is recomputed.
    const same = await session.analyze(a, params(text, { layer: 1, component: 'output' }));
    assert.equal(same.recomputedFrom, 200);
  });

  test('components report their value range', async () => {
    const m = recordingModel('lstm', 'char', 1, 4, 1);
    const session = new DocumentSession('doc');
    const ranges: Record<string, string> = {};
    for (const component of ['h', 'c', 'i']) {
      await session.analyze(m, params('abc', { layer: 0, component }));
      ranges[component] = session.range;
    }
    assert.deepEqual(ranges, { h: 'signed', c: 'unbounded', i: 'unit' });
  });

  test('an empty document has no tokens and no error; typing into it works', async () => {
    const m = recordingModel('lstm', 'word', 1, 4, 1);
    const ref = { layer: 0, component: 'h' };
    const session = new DocumentSession('doc');
    const empty = await session.analyze(m, params('', ref, { untilOffset: 0 }));
    assert.deepEqual(
      {
        computed: empty.computed,
        tokens: empty.starts.length,
        total: empty.totalTokens,
        truncated: empty.truncated,
        from: empty.recomputedFrom,
      },
      { computed: 0, tokens: 0, total: 0, truncated: false, from: 0 },
    );
    const typed = await session.analyze(m, params('the cat', ref));
    assert.equal(typed.computed, 3);
    assertSameBits(session.values, (await fresh(m, 'the cat', ref)).values, 4, 'typed');
    assert.equal((await session.analyze(m, params('', ref))).computed, 0);
    assert.equal(session.values.length, 0);
  });

  test('a cancelled analysis keeps what it computed, and the next call continues from it', async () => {
    const m = recordingModel('lstm', 'char', 6, 8, 1);
    const ref = { layer: 0, component: 'h' };
    const text = SMALL_TEXT.slice(0, 1000);
    const session = new DocumentSession('doc');
    const controller = new AbortController();
    // Aborted while the analysis waits at its first yield (after ~256 tokens).
    setImmediate(() => controller.abort());
    await assert.rejects(
      session.analyze(m, params(text, ref), controller.signal),
      (e: unknown) => e instanceof CancelledError && e.message === 'Analysis cancelled' && e.code === 'cancelled',
    );
    const kept = session.computed;
    assert.ok(kept >= 256 && kept < 1000 && kept % SNAPSHOT_INTERVAL === 0, `kept ${kept}`);
    const next = await session.analyze(m, params(text, ref));
    assert.equal(next.recomputedFrom, kept);
    assertSameBits(session.values, (await fresh(m, text, ref)).values, 8, 'after cancel');
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(session.analyze(m, params(text + 'x', ref), aborted.signal), CancelledError);
    assert.equal(session.computed, 1000, 'an analysis cancelled before it started changes nothing');
  });

  test('runner calls start on snapshot boundaries whatever the edits', async () => {
    const m = recordingModel('gru', 'char', 8, 4, 1);
    const calls: [number, number][] = [];
    const inner = m.runner;
    const spy: StreamingRunner = {
      causal: inner.causal,
      layerUnits: inner.layerUnits,
      stateLength: inner.stateLength,
      components: (layer) => inner.components(layer),
      zeroState: () => inner.zeroState(),
      run: (ids, state, sinks, outOffset = 0) => {
        calls.push([outOffset, ids.length]);
        inner.run(ids, state, sinks, outOffset);
      },
      dispose: () => undefined,
    };
    const spied = { ...m, runner: spy };
    const ref = { layer: 0, component: 'h' };
    const session = new DocumentSession('doc');
    const rng = new Random(3);
    let text = SMALL_TEXT.slice(0, 300);
    await session.analyze(spied, params(text, ref, { untilOffset: 70 }));
    for (let i = 0; i < 15; i++) {
      text = randomEdit(rng, text).text;
      await session.analyze(spied, params(text, ref, i % 3 === 0 ? { untilOffset: rng.int(text.length + 1) } : {}));
    }
    assert.ok(calls.length > 20);
    for (const [offset, length] of calls) {
      assert.equal(offset % SNAPSHOT_INTERVAL, 0, `a call started at ${offset}`);
      assert.ok(length >= 1 && length <= SNAPSHOT_INTERVAL, `a call of ${length} tokens`);
    }
  });

  test('bad layers, components and parameters get clear messages', async () => {
    const m = recordingModel('lstm', 'char', 1, 4, 1);
    const session = new DocumentSession('doc');
    const cases: [Partial<AnalyzeParams>, RegExp][] = [
      [{ layer: 2 }, /^Layer 2 does not exist: the model has 1 layer \(0\)$/],
      [{ component: 'update' }, /^Unknown component "update" for a LSTM layer; choose one of h \(hidden state\), c \(cell state\)/],
      [{ maxTokens: 0 }, /^maxTokens must be an integer ≥ 1 \(got 0\)$/],
      [{ untilOffset: -1 }, /^untilOffset must be an integer ≥ 0 \(got -1\)$/],
      [{ text: 42 as unknown as string }, /^text must be a string \(got 42\)$/],
    ];
    for (const [extra, message] of cases) {
      await assert.rejects(
        session.analyze(m, params('abc', { layer: 0, component: 'h' }, extra)),
        (e: unknown) => e instanceof NeuronLensError && message.test(e.message),
        message.source,
      );
    }
    // A rejected request leaves the session untouched.
    assert.equal(session.analysedWith, -1);
  });

  test('repeated analyses and edits leak no tensors', async () => {
    const m = recordingModel('lstm', 'word', 2, 8, 2);
    const ref = { layer: 1, component: 'c' };
    const session = new DocumentSession('doc');
    await session.analyze(m, params(SMALL_TEXT, ref));
    const before = tf.memory().numTensors;
    const rng = new Random(5);
    let text = SMALL_TEXT;
    for (let i = 0; i < 10; i++) {
      text = randomEdit(rng, text).text;
      await session.analyze(m, params(text, ref));
      await session.analyze(m, params(text, { layer: 0, component: 'f' }));
    }
    assert.equal(tf.memory().numTensors, before);
  });
});
