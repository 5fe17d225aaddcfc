/**
 * What the neuron-across-training panel keeps across a window reload: the page's saved history
 * (float32 values as plain JSON numbers, read back bit for bit, within a size budget) and the
 * passage the extension keeps to select a clicked token. Both come back from storage the panel
 * does not control, so anything malformed must be refused, not half-used.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../src/engine/random';
import { parseHistoryPassage, passageHasTokens, tokenInDocument } from '../../src/extension/historyPassage';
import {
  MAX_SAVED_HISTORY_VALUES,
  historyNotKept,
  isSavedHistory,
  restoreHistory,
  sameHistory,
  savedHistory,
} from '../../src/shared/historyState';
import type { HistoryData } from '../../src/shared/panelMessages';
import { float32FromPlain, plainFloats } from '../../src/shared/plainFloats';

/** `rows` checkpoints of a tanh neuron over `tokens` tokens, seeded. */
function history(rows: number, tokens: number, seed = 5): HistoryData {
  const rng = new Random(seed);
  const values = Float32Array.from({ length: rows * tokens }, () => Math.tanh(rng.normal()));
  return {
    title: 'notes.txt, characters 1–4',
    label: 'L0 h #1',
    model: 'tiny',
    range: 'signed',
    robustScale: 1,
    tokens: Array.from({ length: tokens }, (_, t) => (t % 2 ? ' ' : `w${t}`)),
    rows: Array.from({ length: rows }, (_, r) => ({
      step: r * 100,
      source: r === rows - 1 ? ('model' as const) : ('snapshot' as const),
      ...(r > 0 ? { validationBits: 3 - r / 10 } : {}),
      mean: r / 10,
      std: 0.5,
      d: [r / 4],
    })),
    values,
    features: [{ feature: ' ', matches: Math.floor(tokens / 2), emergedAt: rows > 4 ? 400 : null }],
    threshold: 1,
  };
}

/** What VS Code hands back after a reload: the state as JSON read it. */
const throughJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

/** Bitwise equality of two float32 arrays (NaN included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('float32 values as plain JSON numbers', () => {
  it('read back bit for bit, at about 10 characters a value; non-finite values as null and NaN', () => {
    const rng = new Random(3);
    const values = Float32Array.from({ length: 10_000 }, () => rng.normal() * 10 ** rng.int(8) * (rng.next() < 0.5 ? 1e-4 : 1));
    values.set([0, 0.1, -0.5, 3.4028234663852886e38, 1.401298464324817e-45, 1 / 3], 0);
    const plain = throughJson(plainFloats(values));
    const back = float32FromPlain(plain);
    assert.ok(back && sameBits(back, values));
    assert.deepEqual((plain as number[]).slice(1, 3), [0.1, -0.5], 'short values stay short');
    const perValue = JSON.stringify(plain).length / values.length;
    assert.ok(perValue < 13, `${perValue.toFixed(1)} characters a value`);

    const odd = Float32Array.from([NaN, Infinity, 1]);
    assert.deepEqual(plainFloats(odd), [null, null, 1]);
    const oddBack = float32FromPlain(throughJson(plainFloats(odd)))!;
    assert.ok(Number.isNaN(oddBack[0]) && Number.isNaN(oddBack[1]) && oddBack[2] === 1);
  });

  it('refuses anything but a list of finite numbers and nulls', () => {
    for (const bad of [undefined, null, 'x', { 0: 1 }, [1, '2'], [1, Infinity], [NaN], [{}], [true]]) {
      assert.equal(float32FromPlain(bad), undefined, JSON.stringify(bad));
    }
    assert.deepEqual(Array.from(float32FromPlain([])!), []);
  });
});

describe('saved history', () => {
  it('a history saved by the page comes back the same through JSON, at the checkpoint shown', () => {
    const data = history(5, 60);
    const state = throughJson(savedHistory(data, 2));
    assert.ok(isSavedHistory(state));
    const restored = restoreHistory(state);
    assert.ok(restored && 'data' in restored);
    assert.equal(restored.selected, 2);
    assert.ok(restored.data.values instanceof Float32Array);
    assert.ok(sameBits(restored.data.values, data.values));
    assert.deepEqual({ ...restored.data, values: [] }, { ...data, values: [] });
    assert.ok(sameHistory(restored.data, data));
  });

  it('a default history (20 checkpoints of 2,000 tokens) saves in well under a megabyte; a larger one than the budget is named, not kept', () => {
    const size = JSON.stringify(savedHistory(history(20, 2000), 0)).length;
    assert.ok(size < 600_000, `${size} characters`);
    const tokens = 2000;
    const rows = Math.floor(MAX_SAVED_HISTORY_VALUES / tokens) + 1;
    const big = history(rows, tokens);
    const state = throughJson(savedHistory(big, rows - 1));
    assert.equal((state as { data?: unknown }).data, undefined);
    assert.ok(JSON.stringify(state).length < 500);
    assert.ok(isSavedHistory(state));
    const restored = restoreHistory(state);
    assert.deepEqual(restored, { tooLarge: { title: big.title, label: big.label, values: rows * tokens } });
    assert.equal(
      historyNotKept(restored),
      `The history of L0 h #1 on notes.txt, characters 1–4 (${(rows * tokens).toLocaleString('en')} values) was too large to keep across a window reload: run "Neuron Lens: Show Neuron Across Training…" again.`,
    );
    assert.equal(historyNotKept(undefined), 'No history was kept for this panel: run "Neuron Lens: Show Neuron Across Training…" again.');
  });

  it('malformed saved state is refused whole', () => {
    const data = history(5, 6);
    const good = throughJson(savedHistory(data, 4)) as { selected: number; data: Record<string, unknown> };
    const rows = good.data.rows as Record<string, unknown>[];
    const bad: [string, unknown][] = [
      ['a selected row past the last', { ...good, selected: 5 }],
      ['values of the wrong length', { ...good, data: { ...good.data, values: (good.data.values as number[]).slice(1) } }],
      ['values that are not numbers', { ...good, data: { ...good.data, values: (good.data.values as unknown[]).map(String) } }],
      ['values kept as a typed array would be by JSON', { ...good, data: { ...good.data, values: { 0: 1, 1: 2 } } }],
      ['steps that do not increase', { ...good, data: { ...good.data, rows: [...rows].reverse() } }],
      ['a token that is not text', { ...good, data: { ...good.data, tokens: [1, 2, 3, 4, 5, 6] } }],
      [
        'an emergence step that is no checkpoint',
        { ...good, data: { ...good.data, features: [{ feature: ' ', matches: 3, emergedAt: 150 }] } },
      ],
      ['a too-large note without its numbers', { selected: 0, tooLarge: { title: 't', label: 'l' } }],
    ];
    for (const [what, state] of bad) {
      assert.ok(!isSavedHistory(state) || restoreHistory(state) === undefined, what);
    }
    for (const shape of [undefined, null, 'state', 3, {}, { selected: 1 }, { selected: -1, data: {} }, { selected: 0.5, data: {} }]) {
      assert.equal(isSavedHistory(shape), false, JSON.stringify(shape));
    }
  });

  it('a history is the same only if everything it shows is', () => {
    const data = history(3, 8);
    const copy = restoreHistory(throughJson(savedHistory(data, 0)) as never);
    assert.ok(copy && 'data' in copy && sameHistory(copy.data, data));
    const values = data.values.slice();
    values[7] = Math.fround(values[7]! + 1e-6);
    assert.equal(sameHistory({ ...data, values }, data), false, 'one value');
    assert.equal(sameHistory({ ...data, label: 'L0 h #2' }, data), false, 'the neuron');
    assert.equal(sameHistory({ ...data, tokens: [...data.tokens.slice(1), 'x'] }, data), false, 'a token');
    assert.equal(sameHistory({ ...data, rows: data.rows.map((r, i) => (i === 1 ? { ...r, d: [9] } : r)) }, data), false, 'a d');
  });
});

describe('history passage', () => {
  const passage = { uri: 'file:///w/notes.txt', start: 100, text: 'ab cd', starts: [0, 2, 3], ends: [2, 3, 5] };

  it('comes back from storage, names its tokens and their offsets in the document', () => {
    assert.deepEqual(parseHistoryPassage(throughJson(passage)), passage);
    assert.equal(passageHasTokens(passage, ['ab', ' ', 'cd']), true);
    assert.equal(passageHasTokens(passage, ['ab', ' ', 'ce']), false, 'another history');
    assert.equal(passageHasTokens(passage, ['ab', ' ']), false);
    assert.deepEqual(tokenInDocument(passage, 2), [103, 105]);
    assert.equal(tokenInDocument(passage, 3), undefined);
    assert.equal(tokenInDocument(passage, -1), undefined);
  });

  it('refuses a malformed passage', () => {
    const bad: [string, unknown][] = [
      ['no URI', { ...passage, uri: '' }],
      ['a negative start', { ...passage, start: -1 }],
      ['no text', { ...passage, text: '' }],
      ['a text longer than a history window', { ...passage, text: 'x'.repeat(2001) }],
      ['a token past the text', { ...passage, ends: [2, 3, 6] }],
      ['overlapping tokens', { ...passage, starts: [0, 1, 3] }],
      ['a token ending before it starts', { ...passage, ends: [2, 1, 5] }],
      ['fewer ends than starts', { ...passage, ends: [2, 3] }],
      ['offsets that are not whole numbers', { ...passage, starts: [0, 2.5, 3] }],
      ['not an object', 'file:///w/notes.txt'],
    ];
    for (const [what, x] of bad) assert.equal(parseHistoryPassage(x), undefined, what);
  });
});
