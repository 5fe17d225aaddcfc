import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_HEATMAP_TOKENS, MAX_HEATMAP_VALUES, heatmapTokenWindow } from '../../src/extension/panels/heatmapRange';
import { componentOf, panelComponent } from '../../src/extension/panels/panelComponent';
import { type OffsetChange, shiftRange } from '../../src/extension/panels/trackedRange';

const LSTM = {
  layers: [64, 32],
  components: [
    { id: 'h', label: 'hidden state' },
    { id: 'c', label: 'cell state' },
    { id: 'f', label: 'forget gate' },
  ],
};

describe('the component an analysis panel shows', () => {
  test('the highlighter’s, else the experiment’s, else the first layer’s first component', () => {
    assert.deepEqual(panelComponent(LSTM, { layer: 1, component: 'f' }, { layer: 0, component: 'c' }), {
      layer: 1,
      component: 'f',
      label: 'forget gate',
      units: 32,
    });
    assert.deepEqual(panelComponent(LSTM, undefined, { layer: 0, component: 'c' }), {
      layer: 0,
      component: 'c',
      label: 'cell state',
      units: 64,
    });
    // A selection or experiment the model lacks (another architecture, fewer layers) is skipped.
    assert.deepEqual(panelComponent(LSTM, { layer: 2, component: 'h' }, { layer: 0, component: 'z' }), {
      layer: 0,
      component: 'h',
      label: 'hidden state',
      units: 64,
    });
    assert.equal(panelComponent({ layers: [], components: [] }, undefined, { layer: 0, component: 'h' }), undefined);
    assert.equal(componentOf(LSTM, { layer: 1, component: 'z' }), undefined);
  });
});

describe('the heatmap’s window of tokens', () => {
  test('everything that fits is shown: the whole document, or the selection', () => {
    assert.deepEqual(heatmapTokenWindow(5000, 128, undefined, 1234), { from: 0, to: 5000, capped: false });
    assert.deepEqual(heatmapTokenWindow(5000, 128, { from: 10, to: 20 }), { from: 10, to: 20, capped: false });
    // A selection past the analysed tokens is clamped to them.
    assert.deepEqual(heatmapTokenWindow(5000, 128, { from: 4990, to: 6000 }), { from: 4990, to: 5000, capped: false });
  });

  test('a long document is cut to MAX_HEATMAP_VALUES values, starting at the first visible token but kept full', () => {
    const limit = MAX_HEATMAP_VALUES / 1024;
    assert.equal(limit, 10_000);
    assert.deepEqual(heatmapTokenWindow(100_000, 1024, undefined, 30_000), { from: 30_000, to: 40_000, capped: true });
    assert.deepEqual(heatmapTokenWindow(100_000, 1024, undefined, 95_000), { from: 90_000, to: 100_000, capped: true });
    assert.deepEqual(heatmapTokenWindow(100_000, 1024, { from: 500, to: 60_000 }, 95_000), { from: 500, to: 10_500, capped: true });
    // Narrow layers still stop at MAX_HEATMAP_TOKENS columns.
    assert.deepEqual(heatmapTokenWindow(200_000, 8, undefined, 0), { from: 0, to: MAX_HEATMAP_TOKENS, capped: true });
  });
});

describe('a selection’s offsets follow its text through edits', () => {
  const edit = (rangeOffset: number, rangeLength: number, text: string): OffsetChange => ({
    rangeOffset,
    rangeLength,
    textLength: text.length,
  });
  /** Applies the changes to the text as VS Code does, one after the other. */
  const apply = (text: string, changes: [number, number, string][]) =>
    changes.reduce((t, [at, len, s]) => t.slice(0, at) + s + t.slice(at + len), text);

  test('edits before the range move it, edits after it leave it, edits inside resize it', () => {
    const text = 'Call me Ishmael. Some years ago';
    const range: [number, number] = [8, 15]; // "Ishmael"
    for (const changes of [
      [[0, 4, 'Name']],
      [[0, 5, '']],
      [[16, 0, '!!!']],
      [[10, 2, 'HHHH']],
      [[15, 0, '!']],
      [[8, 0, '>']],
      [
        [20, 5, ''],
        [0, 0, '« '],
      ],
    ] as [number, number, string][][]) {
      const [start, end] = shiftRange(
        range,
        changes.map(([at, len, s]) => edit(at, len, s)),
      );
      const after = apply(text, changes);
      const expected = changes.some(([at, len]) => at > 8 && at + len < 15) ? 'IsHHHHael' : 'Ishmael';
      assert.equal(after.slice(start, end), expected, JSON.stringify(changes));
    }
  });

  test('an edit across a boundary takes in the new text; deleting the range empties it', () => {
    assert.deepEqual(shiftRange([8, 15], [edit(5, 5, 'XY')]), [5, 12]);
    assert.deepEqual(shiftRange([8, 15], [edit(12, 10, 'XY')]), [8, 14]);
    assert.deepEqual(shiftRange([8, 15], [edit(8, 7, '')]), [8, 8]);
    assert.deepEqual(shiftRange([8, 15], [edit(0, 30, 'new')]), [0, 3]);
  });
});
