import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averageRanksInto } from '../../src/engine/averageRanks';
import { Random } from '../../src/engine/random';

/** Average ranks by definition: 1 + (#smaller) + (#equal − 1) / 2, quadratic and obviously right. */
function bruteRanks(values: ArrayLike<number>): number[] {
  const n = values.length;
  return Array.from({ length: n }, (_, t) => {
    let smaller = 0;
    let equal = 0;
    for (let u = 0; u < n; u++) {
      if (values[u]! < values[t]!) smaller++;
      else if (values[u] === values[t]) equal++;
    }
    return 1 + smaller + (equal - 1) / 2;
  });
}

function ranksOf(values: Float32Array): number[] {
  const ranks = new Float64Array(values.length);
  averageRanksInto(values, new Float64Array(values.length), ranks);
  return Array.from(ranks);
}

describe('average ranks', () => {
  it('match the definition with ties, negatives, both zeros, tiny and huge magnitudes', () => {
    const rng = new Random(11);
    const specials = [0, -0, 1e-38, -1e-38, 3e38, -3e38, 1, -1, 0.5, -0.5];
    const values = Float32Array.from({ length: 600 }, (_, t) =>
      t % 5 === 0 ? specials[t % specials.length]! : t % 3 === 0 ? Math.round(rng.normal() * 2) / 2 : rng.normal() * 10 ** rng.int(6),
    );
    assert.deepEqual(ranksOf(values), bruteRanks(values));
  });

  it('a dead neuron (every value equal) gives every token the middle rank', () => {
    assert.deepEqual(ranksOf(new Float32Array(9).fill(-0.25)), new Array(9).fill(5));
  });

  it('columns longer than 2^21 tokens (beyond the packed keys) are ranked by the fallback, also correctly', () => {
    const n = 2 ** 21 + 3;
    const values = new Float32Array(n);
    for (let t = 0; t < n; t++) values[t] = t % 4 === 0 ? 1 : -(t % 7);
    const ranks = ranksOf(values);
    // Ties: values -6..-1 (each about n·3/28 tokens), 0 and 1; check one token of each against counts.
    const counts = new Map<number, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const sortedKeys = [...counts.keys()].sort((a, b) => a - b);
    let below = 0;
    for (const key of sortedKeys) {
      const t = values.indexOf(key);
      assert.equal(ranks[t], below + (counts.get(key)! + 1) / 2, `value ${key}`);
      below += counts.get(key)!;
    }
  });
});
