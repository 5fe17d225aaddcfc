import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Token, type TokenLevel, TOKEN_LEVELS, charTokens, tokenize, wordTokens } from '../../src/engine/tokenizer';

const FC = { seed: 42, numRuns: 300 } as const;

/** Pieces that stress line ends, whitespace runs, combining marks, surrogates and ZWJ sequences. */
const TRICKY_PIECES = [
  '\r',
  '\n',
  '\r\n',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  '\u2028',
  'e\u0301',
  '\u0308',
  '👍🏽',
  '👨‍👩‍👧',
  '\u200d',
  '\ud83d', // lone high surrogate
  '\ude00', // lone low surrogate
  '𝒜',
  '.',
  ',',
  '?',
  '!',
  '"',
  '_',
  'a',
  'Z',
  '7',
  '٣',
  'ß',
  '中文',
  'naïve',
];

const trickyString = fc.string({ unit: fc.constantFrom(...TRICKY_PIECES), maxLength: 30 });

/** Random strings from several generators: ASCII with controls, any code point, graphemes, tricky pieces. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  trickyString,
  fc.string({
    unit: fc.oneof(fc.constantFrom(...TRICKY_PIECES), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    maxLength: 30,
  }),
);

const HAND_PICKED = [
  '',
  'a',
  'Hi, you',
  'line one\r\nline two\r\n',
  'old mac\rline\r',
  'a  b\r\nc',
  '\r\r\n\n\n',
  'tab\tseparated\t\tvalues',
  'thumbs 👍🏽 up',
  'family 👨‍👩‍👧!',
  'cafe\u0301 e\u0301',
  'nai\u0308ve',
  '\u0301 leading mark',
  '𝒜𝒷𝒸 astral letters',
  '\ud83d lone \ude00 surrogates \ud83d',
  'end with space ',
  '   ',
];

function checkInvariants(text: string, tokens: Token[]): void {
  assert.equal(tokens.map((t) => t.text).join(''), text, 'tokens concatenate to the input');
  if (text.length === 0) {
    assert.equal(tokens.length, 0, 'the empty string has no tokens');
    return;
  }
  assert.equal(tokens[0]!.start, 0, 'first token starts at 0');
  assert.equal(tokens[tokens.length - 1]!.end, text.length, 'last token ends at the text length');
  tokens.forEach((t, i) => {
    assert.ok(t.text.length > 0, `token ${i} is not empty`);
    assert.ok(t.end > t.start, `token ${i} has positive width`);
    assert.equal(t.end - t.start, t.text.length, `token ${i} width equals its text length`);
    assert.equal(text.slice(t.start, t.end), t.text, `token ${i} text equals input.slice(start, end)`);
    const next = tokens[i + 1];
    if (next) assert.equal(t.end, next.start, `token ${i} ends where token ${i + 1} starts`);
  });
}

const texts = (tokens: Token[]): string[] => tokens.map((t) => t.text);

const WORD_CHAR = /^[\p{L}\p{M}\p{N}\p{Pc}]+$/u;
const HSPACE = /^[^\S\r\n]+$/u;
const LINE_END = /^(\r\n|\n|\r)$/;
const isSingleCodePoint = (s: string): boolean => [...s].length === 1;

type Kind = 'word' | 'space' | 'eol' | 'other';
function kindOf(tokenText: string): Kind {
  if (WORD_CHAR.test(tokenText)) return 'word';
  if (HSPACE.test(tokenText)) return 'space';
  if (LINE_END.test(tokenText)) return 'eol';
  return 'other';
}

describe('tokenizer invariants (property-based)', () => {
  for (const level of TOKEN_LEVELS) {
    const fn = level === 'char' ? charTokens : wordTokens;

    test(`${level}: hand-picked strings round-trip with contiguous offsets`, () => {
      for (const text of HAND_PICKED) checkInvariants(text, fn(text));
    });

    test(`${level}: random strings round-trip with contiguous offsets`, () => {
      fc.assert(
        fc.property(anyText, (text) => {
          checkInvariants(text, fn(text));
        }),
        FC,
      );
    });

    test(`${level}: tokenize(text, '${level}') dispatches to the ${level} tokenizer`, () => {
      fc.assert(
        fc.property(anyText, (text) => {
          assert.deepEqual(tokenize(text, level), fn(text));
        }),
        { seed: 42, numRuns: 100 },
      );
    });
  }

  test('char: every token is exactly one code point', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const tokens = charTokens(text);
        assert.equal(tokens.length, [...text].length);
        for (const t of tokens) assert.ok(isSingleCodePoint(t.text), `${JSON.stringify(t.text)} is one code point`);
      }),
      FC,
    );
  });

  test('word: every token is a maximal word run, a line end, a whitespace run or one other code point', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const tokens = wordTokens(text);
        let prev: Kind | undefined;
        let prevText = '';
        for (const t of tokens) {
          const kind = kindOf(t.text);
          if (kind === 'other') assert.ok(isSingleCodePoint(t.text), `${JSON.stringify(t.text)} is one code point`);
          // Word runs and horizontal whitespace runs are maximal: two in a row would have merged.
          if (kind === 'word' || kind === 'space') assert.notEqual(prev, kind, `adjacent ${kind} tokens in ${JSON.stringify(text)}`);
          // A CR followed by LF is one CRLF token, never two.
          assert.ok(!(prevText === '\r' && t.text === '\n'), `CR LF split in ${JSON.stringify(text)}`);
          prev = kind;
          prevText = t.text;
        }
      }),
      FC,
    );
  });

  test('word: no token contains a line end together with anything else', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const t of wordTokens(text)) {
          if (/[\r\n]/.test(t.text)) assert.match(t.text, LINE_END);
        }
      }),
      FC,
    );
  });
});

describe('char tokens (examples)', () => {
  test('an astral character is one token of length 2', () => {
    const tokens = charTokens('a😀b');
    assert.deepEqual(tokens, [
      { text: 'a', start: 0, end: 1 },
      { text: '😀', start: 1, end: 3 },
      { text: 'b', start: 3, end: 4 },
    ]);
  });

  test('a combining mark is a token of its own', () => {
    assert.deepEqual(texts(charTokens('e\u0301')), ['e', '\u0301']);
    assert.deepEqual(charTokens('e\u0301')[1], { text: '\u0301', start: 1, end: 2 });
  });

  test('emoji sequences split into code points', () => {
    assert.deepEqual(texts(charTokens('👍🏽')), ['👍', '🏽']);
    assert.deepEqual(texts(charTokens('👨‍👩‍👧')), ['👨', '\u200d', '👩', '\u200d', '👧']);
    assert.deepEqual(
      charTokens('👨‍👩‍👧').map((t) => [t.start, t.end]),
      [
        [0, 2],
        [2, 3],
        [3, 5],
        [5, 6],
        [6, 8],
      ],
    );
  });

  test('CRLF is two char tokens, tabs and lone CR are one each', () => {
    assert.deepEqual(texts(charTokens('a\r\nb\rc\t')), ['a', '\r', '\n', 'b', '\r', 'c', '\t']);
  });

  test('the empty string gives no tokens', () => {
    assert.deepEqual(charTokens(''), []);
  });
});

describe('word tokens (examples)', () => {
  const cases: [string, string[]][] = [
    ['Hi, you', ['Hi', ',', ' ', 'you']],
    ['a  b\r\nc', ['a', '  ', 'b', '\r\n', 'c']],
    ['\r\r\n\n', ['\r', '\r\n', '\n']],
    ['x\ry', ['x', '\r', 'y']],
    ['one\t\ttwo', ['one', '\t\t', 'two']],
    [' \t ', [' \t ']],
    ['  \n  ', ['  ', '\n', '  ']],
    ['nai\u0308ve', ['nai\u0308ve']],
    ['cafe\u0301.', ['cafe\u0301', '.']],
    ['. ? !', ['.', ' ', '?', ' ', '!']],
    ['Wait...', ['Wait', '.', '.', '.']],
    ['"quoted"', ['"', 'quoted', '"']],
    ['snake_case x2 3.14', ['snake_case', ' ', 'x2', ' ', '3', '.', '14']],
    ["don't", ['don', "'", 't']],
    ['𝒜𝒷𝒸', ['𝒜𝒷𝒸']],
    ['👍🏽', ['👍', '🏽']],
    ['hi👨‍👩‍👧', ['hi', '👨', '\u200d', '👩', '\u200d', '👧']],
    ['', []],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      const tokens = wordTokens(input);
      assert.deepEqual(texts(tokens), expected);
      checkInvariants(input, tokens);
    });
  }

  test('offsets are UTF-16 offsets', () => {
    assert.deepEqual(wordTokens('😀 ab'), [
      { text: '😀', start: 0, end: 2 },
      { text: ' ', start: 2, end: 3 },
      { text: 'ab', start: 3, end: 5 },
    ]);
  });
});

describe('tokenize', () => {
  test('dispatches on the level', () => {
    const text = 'Hi, you';
    assert.deepEqual(texts(tokenize(text, 'char')), ['H', 'i', ',', ' ', 'y', 'o', 'u']);
    assert.deepEqual(texts(tokenize(text, 'word')), ['Hi', ',', ' ', 'you']);
  });

  test('TOKEN_LEVELS lists exactly char and word', () => {
    assert.deepEqual([...TOKEN_LEVELS].sort(), ['char', 'word'] satisfies TokenLevel[]);
  });
});
