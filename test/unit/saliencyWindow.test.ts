/**
 * The text Show Saliency at Cursor… sends: the file up to just past the cursor for a neuron or the
 * next token; for a class score what Classify Active File or Selection classifies (the selection,
 * else the whole file), wherever the cursor is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEXT_TOKEN_LOOKAHEAD, saliencyWindow } from '../../src/extension/saliencyWindow';

const LENGTH = 5000;
const NONE = { start: 1200, end: 1200 };

describe('saliency window', () => {
  it('a class score explains the selection, whichever way it was made, with the offset at its end', () => {
    assert.deepEqual(saliencyWindow('class', LENGTH, { start: 300, end: 420 }, 420), {
      start: 300,
      end: 420,
      offset: 120,
      fromSelection: true,
    });
    assert.deepEqual(saliencyWindow('class', LENGTH, { start: 420, end: 300 }, 300), {
      start: 300,
      end: 420,
      offset: 120,
      fromSelection: true,
    });
  });

  it('without a selection a class score explains the whole file from its start, not the text before the cursor', () => {
    assert.deepEqual(saliencyWindow('class', LENGTH, NONE, 1200), { start: 0, end: LENGTH, offset: LENGTH, fromSelection: false });
    assert.deepEqual(saliencyWindow('class', LENGTH, { start: 0, end: 0 }, 0), {
      start: 0,
      end: LENGTH,
      offset: LENGTH,
      fromSelection: false,
    });
  });

  it('a neuron or the next token is explained at the cursor, with the token after it in the text; a selection does not matter', () => {
    for (const kind of ['neuron', 'next-token'] as const) {
      assert.deepEqual(saliencyWindow(kind, LENGTH, NONE, 1200), {
        start: 0,
        end: 1200 + NEXT_TOKEN_LOOKAHEAD,
        offset: 1200,
        fromSelection: false,
      });
      assert.deepEqual(saliencyWindow(kind, LENGTH, { start: 300, end: 420 }, 420).offset, 420);
      assert.deepEqual(saliencyWindow(kind, LENGTH, NONE, LENGTH - 10), {
        start: 0,
        end: LENGTH,
        offset: LENGTH - 10,
        fromSelection: false,
      });
    }
  });
});
