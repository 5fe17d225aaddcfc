/** The field checks every message parser builds on: the boundaries each one draws. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isArrayOf, isComponentId, isFiniteNumber, isInt, isIntList, isOneOf, isRecord, isStrList } from '../../src/shared/messageChecks';

describe('message checks', () => {
  test('an index is a whole number from 0 up to (not including) its bound', () => {
    assert.deepEqual(
      [0, 7, 1e9 - 1, 1e9, -1, 0.5, Number.NaN, Infinity, '3', null].map((x) => isInt(x)),
      [true, true, true, false, false, false, false, false, false, false],
    );
    assert.equal(isInt(9, 10), true);
    assert.equal(isInt(10, 10), false);
    // Handed to Array.every the bound would be the element's index: lists have their own check.
    assert.equal(isIntList([5, 6, 7], 3), true);
    assert.equal(isIntList([5, 6, 7], 2), false, 'too many items');
    assert.equal(isIntList([5, 6, 7], 3, 7), false, '7 is not below 7');
    assert.equal(isIntList(Uint32Array.of(5), 3), false, 'a typed array is not a list');
  });

  test('finite numbers, enums, records and string lists', () => {
    assert.deepEqual([0, -2.5, 1e300, Number.NaN, Infinity, -Infinity, '1'].map(isFiniteNumber), [
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    assert.equal(isOneOf('hann', ['none', 'hann']), true);
    assert.equal(isOneOf('Hann', ['none', 'hann']), false);
    assert.equal(isOneOf(['hann'], ['none', 'hann']), false);
    assert.deepEqual([{}, { a: 1 }, [], null, 'x', Float32Array.of(1)].map(isRecord), [true, true, false, false, false, true]);
    assert.equal(isStrList(['a', 'bc'], 2, 2), true);
    assert.equal(isStrList(['a', 'bcd'], 2, 2), false, 'an item too long');
    assert.equal(isStrList(['a', 'b', 'c'], 2, 2), false, 'too many items');
    assert.equal(isStrList(['a', 1], 2, 2), false);
  });

  test('a typed array must be of the named class and exactly the given length', () => {
    assert.equal(isArrayOf(new Float32Array(6), Float32Array, 6), true);
    assert.equal(isArrayOf(new Float32Array(5), Float32Array, 6), false);
    assert.equal(isArrayOf(new Float64Array(6), Float32Array, 6), false);
    assert.equal(isArrayOf(new Uint8Array(6), Uint8Array, 6), true);
    assert.equal(isArrayOf(new Uint8ClampedArray(6), Uint8Array, 6), false);
    assert.equal(isArrayOf([0, 0, 0, 0, 0, 0], Float32Array, 6), false);
    assert.equal(isArrayOf({ length: 6 }, Float32Array, 6), false);
  });

  test('component ids: a cell’s short names and their backward twins, nothing else', () => {
    for (const id of ['h', 'c', 'pre', 'backward/h', 'backward/pre']) assert.equal(isComponentId(id), true, id);
    for (const id of ['', 'H', 'h1', 'backward/', 'backward/backward/h', '/h', 'h/', 'a'.repeat(17), ' h', 'h\n', 7, undefined])
      assert.equal(isComponentId(id), false, String(id));
  });
});
