import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NeuronLensError } from '../../src/engine/errors';
import { UNK, Vocabulary } from '../../src/engine/vocabulary';

/** Asserts `fn` throws a NeuronLensError with code invalid-model whose message matches `pattern`. */
function assertInvalidModel(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NeuronLensError, `expected a NeuronLensError, got ${String(e)}`);
    assert.equal(e.name, 'NeuronLensError');
    assert.equal(e.code, 'invalid-model');
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Vocabulary.build', () => {
  test("id 0 is '<unk>', also for an empty corpus", () => {
    assert.equal(UNK, '<unk>');
    const v = Vocabulary.build(['b', 'a']);
    assert.equal(v.token(0), '<unk>');
    assert.equal(v.id('<unk>'), 0);
    const empty = Vocabulary.build([]);
    assert.deepEqual(empty.tokens, ['<unk>']);
    assert.equal(empty.size, 1);
  });

  test('orders by descending count, ties by code-unit order', () => {
    // counts: c=3, a=2, b=2, B=2, é=1, 😀=1, z=1
    const v = Vocabulary.build(['a', 'b', 'c', 'c', 'z', 'b', 'c', 'a', '😀', 'é', 'B', 'B']);
    // Code-unit order: 'B' (0x42) < 'a' < 'b'; 'z' (0x7a) < 'é' (0xe9) < '😀' (0xd83d...).
    assert.deepEqual(v.tokens, ['<unk>', 'c', 'B', 'a', 'b', 'z', 'é', '😀']);
    v.tokens.forEach((t, i) => {
      assert.equal(v.id(t), i);
      assert.equal(v.token(i), t);
    });
  });

  test('code-unit order, not code-point order, breaks ties (astral vs high BMP)', () => {
    // '😀' is U+1F600, stored as the code units 0xD83D 0xDE00; '｡' is U+FF61. By code units 0xD83D < 0xFF61,
    // so '😀' sorts first even though its code point is the larger one.
    const v = Vocabulary.build(['｡', '😀']);
    assert.deepEqual(v.tokens, ['<unk>', '😀', '｡']);
  });

  test('the same corpus in any order gives the same ids', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', ' ', 'é', '😀'), { maxLength: 40 }), (tokens) => {
        const v1 = Vocabulary.build(tokens);
        const v2 = Vocabulary.build([...tokens].reverse());
        assert.deepEqual(v1.tokens, v2.tokens);
        // Every distinct token has an id, counts never increase along the list.
        const counts = new Map<string, number>();
        for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
        assert.equal(v1.size, counts.size + 1);
        for (let i = 2; i < v1.size; i++) {
          const prev = counts.get(v1.token(i - 1))!;
          const cur = counts.get(v1.token(i))!;
          assert.ok(prev > cur || (prev === cur && v1.token(i - 1) < v1.token(i)));
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  test('minCount drops rare tokens, which then encode to 0', () => {
    const corpus = ['a', 'a', 'a', 'b', 'b', 'c'];
    const v = Vocabulary.build(corpus, { minCount: 2 });
    assert.deepEqual(v.tokens, ['<unk>', 'a', 'b']);
    assert.equal(v.has('c'), false);
    assert.equal(v.id('c'), 0);
    assert.deepEqual([...v.encode(['c', 'a', 'b', 'never-seen'])], [0, 1, 2, 0]);
    assert.deepEqual(Vocabulary.build(corpus, { minCount: 3 }).tokens, ['<unk>', 'a']);
    assert.deepEqual(Vocabulary.build(corpus, { minCount: 4 }).tokens, ['<unk>']);
  });

  test('maxSize caps the size including <unk>, keeping the most frequent tokens', () => {
    const corpus = ['x', 'y', 'y', 'z', 'z', 'z', 'w', 'w', 'w', 'w'];
    assert.deepEqual(Vocabulary.build(corpus, { maxSize: 3 }).tokens, ['<unk>', 'w', 'z']);
    assert.equal(Vocabulary.build(corpus, { maxSize: 3 }).size, 3);
    assert.deepEqual(Vocabulary.build(corpus, { maxSize: 1 }).tokens, ['<unk>']);
    assert.equal(Vocabulary.build(corpus, { maxSize: 100 }).size, 5);
    const capped = Vocabulary.build(corpus, { maxSize: 2 });
    assert.deepEqual([...capped.encode(['w', 'x', 'z'])], [1, 0, 0]);
  });

  test('maxSize below 1 is rejected', () => {
    assert.throws(
      () => Vocabulary.build(['a'], { maxSize: 0 }),
      (e: unknown) => e instanceof NeuronLensError && /max size must be at least 1/.test(e.message),
    );
  });

  test('minCount and maxSize combine', () => {
    const corpus = ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'd'];
    assert.deepEqual(Vocabulary.build(corpus, { minCount: 2, maxSize: 3 }).tokens, ['<unk>', 'a', 'b']);
  });

  test('a literal "<unk>" in the corpus is not duplicated and maps to 0', () => {
    const v = Vocabulary.build(['<unk>', '<unk>', 'a']);
    assert.deepEqual(v.tokens, ['<unk>', 'a']);
    assert.equal(v.id('<unk>'), 0);
  });
});

describe('Vocabulary encode / lookup', () => {
  test('encode returns an Int32Array of ids', () => {
    const v = Vocabulary.build(['h', 'e', 'l', 'l', 'o']);
    const ids = v.encode(['h', 'e', 'l', 'l', 'o', '?']);
    assert.ok(ids instanceof Int32Array);
    assert.deepEqual([...ids], [v.id('h'), v.id('e'), 1, 1, v.id('o'), 0]);
    assert.equal(v.token(1), 'l');
    assert.ok(v.encode([]) instanceof Int32Array);
    assert.equal(v.encode([]).length, 0);
  });

  test('encode accepts any iterable', () => {
    const v = Vocabulary.build(['a', 'b']);
    function* gen(): Generator<string> {
      yield 'b';
      yield 'a';
    }
    assert.deepEqual([...v.encode(gen())], [2, 1]);
  });

  test('token() rejects ids outside the vocabulary', () => {
    const v = Vocabulary.build(['a']);
    assert.throws(() => v.token(2), { name: 'RangeError', message: /Token id 2 is outside the vocabulary \(size 2\)/ });
    assert.throws(() => v.token(-1), RangeError);
  });
});

describe('Vocabulary JSON', () => {
  test('toJSON / fromJSON round trip gives identical ids', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 3 }), { maxLength: 50 }), (corpus) => {
        const v = Vocabulary.build(corpus);
        const json = JSON.parse(JSON.stringify(v.toJSON())) as unknown;
        const w = Vocabulary.fromJSON(json);
        assert.deepEqual(w.tokens, v.tokens);
        for (const t of corpus) assert.equal(w.id(t), v.id(t));
        assert.deepEqual(w.encode(corpus), v.encode(corpus));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  test('toJSON returns a copy', () => {
    const v = Vocabulary.build(['a']);
    const json = v.toJSON();
    json.tokens.push('b');
    assert.deepEqual(v.tokens, ['<unk>', 'a']);
  });

  test('fromJSON rejects values that are not lists of strings', () => {
    for (const bad of [null, undefined, 42, 'tokens', {}, { tokens: 'abc' }, { tokens: { 0: '<unk>' } }, ['<unk>']]) {
      assertInvalidModel(() => Vocabulary.fromJSON(bad), /must be a list of strings/);
    }
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['<unk>', 3] }), /must be a list of strings/);
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['<unk>', null] }), /must be a list of strings/);
  });

  test('fromJSON rejects duplicate entries, naming the duplicate', () => {
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['<unk>', 'a', 'b', 'a'] }), /duplicate entry "a"/);
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['<unk>', '<unk>'] }), /duplicate entry "<unk>"/);
  });

  test('fromJSON rejects a list that does not start with <unk>', () => {
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['a', '<unk>'] }), /must start with <unk>/);
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: ['a'] }), /must start with <unk>/);
    assertInvalidModel(() => Vocabulary.fromJSON({ tokens: [] }), /must start with <unk>/);
  });
});
