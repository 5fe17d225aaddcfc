import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { lineBreakKind, planDecorations } from '../../src/extension/decorationPlan';
import { firstTokenEndingAfter, tokenAt, tokensOverlapping } from '../../src/extension/tokenIndex';

/** Char-level tokens as the engine makes them: one per code point, UTF-16 offsets. */
function charTokens(text: string): { starts: Int32Array; ends: Int32Array; texts: string[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  const texts: string[] = [];
  let at = 0;
  for (const ch of text) {
    starts.push(at);
    at += ch.length;
    ends.push(at);
    texts.push(ch);
  }
  return { starts: Int32Array.from(starts), ends: Int32Array.from(ends), texts };
}

describe('line breaks', () => {
  test('LF, CR and CRLF tokens are breaks; a CR split from its LF is hidden behind it', () => {
    const text = 'a\nb\r\nc\rd';
    assert.equal(lineBreakKind(text, 1, 2), 'break');
    assert.equal(lineBreakKind(text, 3, 5), 'break', 'CRLF as one token (word level)');
    assert.equal(lineBreakKind(text, 3, 4), 'hidden', 'CR of a CRLF as its own token (char level)');
    assert.equal(lineBreakKind(text, 4, 5), 'break');
    assert.equal(lineBreakKind(text, 6, 7), 'break', 'a lone CR');
    assert.equal(lineBreakKind(text, 0, 1), 'none');
    assert.equal(lineBreakKind(' \n', 0, 2), 'none', 'mixed whitespace is drawn as text');
    assert.equal(lineBreakKind(text, 2, 2), 'hidden', 'empty token');
  });
});

describe('decoration plan', () => {
  test('groups tokens by bucket; spaces and tabs are spans, line ends are blocks', () => {
    const text = 'a b\t\r\n👍';
    const { starts, ends } = charTokens(text);
    const buckets = Int8Array.of(3, -2, 3, 0, 5, 5, -10);
    const plan = planDecorations(text, starts, ends, buckets, 0, starts.length, 10);
    assert.equal(plan.spans.length, 21);
    assert.deepEqual(plan.spans[13], [0, 2], 'a and b');
    assert.deepEqual(plan.spans[8], [1], 'the space');
    assert.deepEqual(plan.spans[10], [3], 'the tab (bucket 0: the painter has no colour for it)');
    assert.deepEqual(plan.spans[0], [6], 'the emoji, one token of two UTF-16 units');
    assert.deepEqual(plan.lineEnds[15], [5], 'the LF; its CR is hidden');
    assert.equal(plan.spans[15]!.length, 0);
  });

  test('only the window [from, to) is planned, and buckets are clamped', () => {
    const text = 'abcdef';
    const { starts, ends } = charTokens(text);
    const plan = planDecorations(text, starts, ends, Int8Array.of(1, 2, 30, -30, 4, 5), 2, 4, 10);
    assert.deepEqual(plan.spans[20], [2]);
    assert.deepEqual(plan.spans[0], [3]);
    assert.equal(plan.spans.flat().length, 2);
  });

  test('every non-break token of the window lands in exactly one bucket', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (text, levels) => {
        const { starts, ends } = charTokens(text);
        const buckets = Int8Array.from(starts, (_, i) => ((i * 7) % (2 * levels + 1)) - levels);
        const plan = planDecorations(text, starts, ends, buckets, 0, starts.length, levels);
        const seen = [...plan.spans.flat(), ...plan.lineEnds.flat()].sort((a, b) => a - b);
        const expected = [...starts.keys()].filter((t) => lineBreakKind(text, starts[t]!, ends[t]!) !== 'hidden');
        assert.deepEqual(seen, expected);
      }),
    );
  });
});

describe('token index', () => {
  const { starts, ends } = charTokens('ab👍\r\nc');
  const n = starts.length;

  test('tokenAt finds the token containing an offset, surrogate halves included', () => {
    assert.equal(tokenAt(starts, ends, n, 0), 0);
    assert.equal(tokenAt(starts, ends, n, 2), 2);
    assert.equal(tokenAt(starts, ends, n, 3), 2, 'second half of the emoji');
    assert.equal(tokenAt(starts, ends, n, 5), 4, 'the LF');
    assert.equal(tokenAt(starts, ends, n, 7), -1, 'past the end');
    assert.equal(tokenAt(starts, ends, 2, 4), -1, 'beyond the computed tokens');
    assert.equal(tokenAt(Int32Array.of(0, 5), Int32Array.of(2, 6), 2, 3), -1, 'in a gap');
  });

  test('tokensOverlapping returns the tokens that intersect a range of offsets', () => {
    assert.deepEqual(tokensOverlapping(starts, ends, n, 0, 7), { from: 0, to: n });
    assert.deepEqual(tokensOverlapping(starts, ends, n, 3, 5), { from: 2, to: 4 });
    assert.deepEqual(tokensOverlapping(starts, ends, n, 7, 9), { from: n, to: n });
    assert.deepEqual(tokensOverlapping(starts, ends, n, 4, 4), { from: 3, to: 3 });
    assert.equal(firstTokenEndingAfter(ends, n, 100), n);
  });

  test('agrees with a linear scan', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(50), (text, offset) => {
        const t = charTokens(text);
        const linear = t.starts.findIndex((s, i) => s <= offset && offset < t.ends[i]!);
        assert.equal(tokenAt(t.starts, t.ends, t.starts.length, offset), linear);
      }),
    );
  });
});
