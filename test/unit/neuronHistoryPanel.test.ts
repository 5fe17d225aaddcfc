/**
 * The extension side of the neuron-across-training panel that runs without an editor: the passage
 * a history is computed on, and the check the page applies to what it is sent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HISTORY_WINDOW_CHARS, historyWindow } from '../../src/extension/historyWindow';
import { type HistoryData, parseToHistory } from '../../src/shared/panelMessages';

function history(): HistoryData {
  const tokens = ['a', ' ', 'b', '.'];
  return {
    title: 'notes.txt, characters 1–4',
    label: 'L0 h #1',
    model: 'tiny',
    range: 'unbounded',
    robustScale: 0.8,
    tokens,
    rows: [
      { step: 0, source: 'snapshot', mean: 0, std: 0.1, d: [0.2] },
      { step: 10, source: 'snapshot', validationBits: 2.5, mean: 0.1, std: 0.3, d: [1.4] },
      { step: 12, source: 'model', validationBits: 2.4, mean: 0.2, std: 0.4, d: [1.6] },
    ],
    values: Float32Array.from({ length: 12 }, (_, i) => i / 10),
    features: [{ feature: ' ', matches: 1, emergedAt: 10 }],
    threshold: 1,
  };
}

describe('history panel messages', () => {
  test('a well-formed history and an error pass unchanged', () => {
    const data = history();
    assert.deepEqual(parseToHistory({ type: 'history', data }), { type: 'history', data });
    assert.deepEqual(parseToHistory({ type: 'error', message: 'no snapshots' }), { type: 'error', message: 'no snapshots' });
    const none = { ...data, features: [], rows: data.rows.map((r) => ({ ...r, d: [] })) };
    assert.equal(parseToHistory({ type: 'history', data: none })?.type, 'history');
  });

  test('malformed histories are refused, whatever part is wrong', () => {
    const d = history();
    const row = d.rows[1]!;
    const wrong: [string, unknown][] = [
      ['values not rows × tokens', { ...d, values: new Float32Array(11) }],
      ['values as a plain array', { ...d, values: Array.from(d.values) }],
      ['no rows', { ...d, rows: [], values: new Float32Array(0) }],
      ['steps not increasing', { ...d, rows: [d.rows[0], d.rows[2], d.rows[1]] }],
      ['a repeated step', { ...d, rows: [d.rows[0], row, { ...d.rows[2], step: 10 }] }],
      ['a negative step', { ...d, rows: [{ ...d.rows[0], step: -1 }, row, d.rows[2]] }],
      ['one d too few', { ...d, rows: [d.rows[0], { ...row, d: [] }, d.rows[2]] }],
      ['a NaN d', { ...d, rows: [d.rows[0], { ...row, d: [Number.NaN] }, d.rows[2]] }],
      ['an unknown source', { ...d, rows: [d.rows[0], { ...row, source: 'checkpoint' }, d.rows[2]] }],
      ['validation bits as text', { ...d, rows: [d.rows[0], { ...row, validationBits: '2.5' }, d.rows[2]] }],
      ['a negative std', { ...d, rows: [d.rows[0], { ...row, std: -1 }, d.rows[2]] }],
      ['emerged at a step that is no row', { ...d, features: [{ feature: ' ', matches: 1, emergedAt: 11 }] }],
      ['more matches than tokens', { ...d, features: [{ feature: ' ', matches: 5, emergedAt: null }] }],
      ['an empty feature', { ...d, features: [{ feature: '', matches: 1, emergedAt: null }] }],
      ['an unknown range', { ...d, range: 'log' }],
      ['a zero scale', { ...d, robustScale: 0 }],
      ['a negative threshold', { ...d, threshold: -1 }],
      ['a token that is not text', { ...d, tokens: ['a', 1, 'b', '.'] }],
      ['a missing title', { ...d, title: undefined }],
    ];
    for (const [what, data] of wrong) assert.equal(parseToHistory({ type: 'history', data }), undefined, what);
    for (const m of [null, 'history', { type: 'history' }, { type: 'error', message: 7 }, { type: 'comparison', data: d }])
      assert.equal(parseToHistory(m), undefined, JSON.stringify(m));
  });
});

describe('history text window', () => {
  test('the selection when there is one, cut to the limit from its start', () => {
    assert.deepEqual(historyWindow(10_000, { start: 100, end: 250 }, 250), { start: 100, end: 250, fromSelection: true });
    assert.deepEqual(historyWindow(10_000, { start: 100, end: 9_000 }, 9_000), {
      start: 100,
      end: 100 + HISTORY_WINDOW_CHARS,
      fromSelection: true,
    });
  });

  test('else the limit centred on the cursor, shifted to lie inside the document', () => {
    const half = HISTORY_WINDOW_CHARS / 2;
    assert.deepEqual(historyWindow(10_000, { start: 5_000, end: 5_000 }, 5_000), {
      start: 5_000 - half,
      end: 5_000 + half,
      fromSelection: false,
    });
    assert.deepEqual(historyWindow(10_000, { start: 10, end: 10 }, 10), { start: 0, end: HISTORY_WINDOW_CHARS, fromSelection: false });
    assert.deepEqual(historyWindow(10_000, { start: 9_990, end: 9_990 }, 9_990), {
      start: 10_000 - HISTORY_WINDOW_CHARS,
      end: 10_000,
      fromSelection: false,
    });
    // A selection of a token or a few (a top context's place, a search hit) counts as the cursor.
    assert.deepEqual(historyWindow(10_000, { start: 5_000, end: 5_001 }, 5_001), {
      start: 5_001 - half,
      end: 5_001 + half,
      fromSelection: false,
    });
    // A document shorter than the limit is read whole.
    assert.deepEqual(historyWindow(300, { start: 120, end: 120 }, 120), { start: 0, end: 300, fromSelection: false });
    assert.deepEqual(historyWindow(0, { start: 0, end: 0 }, 0), { start: 0, end: 0, fromSelection: false });
  });
});
