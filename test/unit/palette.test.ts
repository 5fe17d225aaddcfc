import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  LEVELS,
  MAX_ALPHA,
  PALETTE_NAMES,
  bucketColour,
  bucketOf,
  bucketsOf,
  colourScale,
  isPaletteName,
  normalise,
  paletteColours,
  quantileOfDistance,
} from '../../src/extension/palette';

const alphaOf = (css: string) => Number(/rgba\(\d+, \d+, \d+, ([\d.]+)\)/.exec(css)![1]);
const rgbOf = (css: string): [number, number, number] => {
  const m = /rgba\((\d+), (\d+), (\d+)/.exec(css)!;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

describe('colour scale', () => {
  test('fixed: signed values as they are, gates centred on 0.5, unbounded by the robust scale', () => {
    assert.deepEqual(colourScale('signed', 'fixed', 0.2), { center: 0, halfWidth: 1 });
    assert.deepEqual(colourScale('unit', 'fixed', 0.9, [0.9, 0.95]), { center: 0.5, halfWidth: 0.5 });
    assert.deepEqual(colourScale('unbounded', 'fixed', 3), { center: 0, halfWidth: 3 });
    // A zero or broken robust scale must not divide by zero.
    assert.deepEqual(colourScale('unbounded', 'fixed', 0), { center: 0, halfWidth: 1 });
    assert.deepEqual(colourScale('unbounded', 'fixed', Number.NaN), { center: 0, halfWidth: 1 });
  });

  test('robust: signed and unbounded by the engine scale, gates by their own spread around 0.5', () => {
    assert.deepEqual(colourScale('signed', 'robust', 0.2), { center: 0, halfWidth: 0.2 });
    assert.deepEqual(colourScale('unbounded', 'robust', 4), { center: 0, halfWidth: 4 });
    const gate = Array.from({ length: 100 }, (_, i) => 0.5 + (i % 2 === 0 ? 1 : -1) * (i / 1000));
    const s = colourScale('unit', 'robust', 0.6, gate);
    assert.equal(s.center, 0.5);
    assert.ok(Math.abs(s.halfWidth - 0.099) < 1e-9, String(s.halfWidth));
    // All gate values at exactly 0.5: no spread, fall back to the fixed half width.
    assert.deepEqual(colourScale('unit', 'robust', 0.5, [0.5, 0.5]), { center: 0.5, halfWidth: 0.5 });
  });

  test('unit-range centring: 0 is fully negative, 0.5 neutral, 1 fully positive', () => {
    const s = colourScale('unit', 'fixed', 1);
    assert.equal(normalise(0, s), -1);
    assert.equal(normalise(0.5, s), 0);
    assert.equal(normalise(1, s), 1);
    assert.equal(normalise(0.75, s), 0.5);
  });

  test('normalise clamps, keeps NaN neutral and infinities at the ends', () => {
    const s = { center: 0, halfWidth: 2 };
    assert.equal(normalise(1, s), 0.5);
    assert.equal(normalise(-10, s), -1);
    assert.equal(normalise(10, s), 1);
    assert.equal(normalise(Number.NaN, s), 0);
    assert.equal(normalise(Number.POSITIVE_INFINITY, s), 1);
    assert.equal(normalise(Number.NEGATIVE_INFINITY, s), -1);
    assert.equal(normalise(1, { center: 0, halfWidth: 0 }), 1);
  });

  test('the quantile of distances ignores non-finite values and outliers beyond it', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 999 ? 1e6 : i / 1000));
    assert.ok(Math.abs(quantileOfDistance(values, 0, 0.99) - 0.99) < 0.0011);
    assert.equal(quantileOfDistance([Number.NaN, Number.POSITIVE_INFINITY], 0, 0.99), 0);
    assert.equal(quantileOfDistance([], 0, 0.99), 0);
    assert.equal(quantileOfDistance([-3], 0, 0.99), 3);
  });

  test('quickselect agrees with sorting', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, min: -1e3, max: 1e3 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1 }),
        (xs, q) => {
          const sorted = xs.map((x) => Math.abs(x - 0.25)).sort((a, b) => a - b);
          const expected = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
          assert.equal(quantileOfDistance(xs, 0.25, q), expected);
        },
      ),
    );
  });
});

describe('quantiser', () => {
  test('bucket boundaries: round to the nearest tenth, half a step around zero is bucket 0', () => {
    assert.equal(LEVELS, 10);
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(0.049), 0);
    assert.equal(bucketOf(0.05), 1);
    assert.equal(bucketOf(0.149), 1);
    assert.equal(bucketOf(0.15), 2);
    assert.equal(bucketOf(0.949), 9);
    assert.equal(bucketOf(0.95), 10);
    assert.equal(bucketOf(1), 10);
  });

  test('symmetric around zero', () => {
    fc.assert(
      fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (v) => {
        assert.equal(bucketOf(-v) + 0, -bucketOf(v) + 0);
      }),
    );
  });

  test('clamps beyond [-1, 1] and maps NaN to 0', () => {
    assert.equal(bucketOf(7), 10);
    assert.equal(bucketOf(-7), -10);
    assert.equal(bucketOf(Number.POSITIVE_INFINITY), 10);
    assert.equal(bucketOf(Number.NEGATIVE_INFINITY), -10);
    assert.equal(bucketOf(Number.NaN), 0);
    assert.equal(bucketOf(0.5, 4), 2);
  });

  test('monotonic: a larger value never gets a smaller bucket', () => {
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        assert.ok(bucketOf(lo) <= bucketOf(hi));
      }),
    );
  });

  test('bucketsOf applies the scale to every value', () => {
    const b = bucketsOf(Float32Array.of(0, 0.25, 0.5, 1, Number.NaN, -3), { center: 0.5, halfWidth: 0.5 });
    assert.deepEqual([...b], [-10, -5, 0, 10, 0, -10]);
  });
});

describe('palettes', () => {
  test('diverging palettes: zero has no colour, negative blue, positive red, alpha grows with |bucket|', () => {
    assert.equal(bucketColour('blueRed', 0), undefined);
    const [r1, , b1] = rgbOf(bucketColour('blueRed', 10)!);
    const [r2, , b2] = rgbOf(bucketColour('blueRed', -10)!);
    assert.ok(r1 > b1, 'positive is red');
    assert.ok(b2 > r2, 'negative is blue');
    for (let b = 1; b < LEVELS; b++) {
      assert.ok(alphaOf(bucketColour('blueRed', b + 1)!) > alphaOf(bucketColour('blueRed', b)!));
      assert.equal(alphaOf(bucketColour('blueRed', b)!), alphaOf(bucketColour('blueRed', -b)!), 'same strength both sides');
    }
    assert.equal(alphaOf(bucketColour('blueRed', 10)!), MAX_ALPHA);
  });

  test('colour-blind-safe palette is blue/orange', () => {
    const [r, g, b] = rgbOf(bucketColour('blueOrange', 10)!);
    assert.ok(r > g && g > b, `orange, got ${r},${g},${b}`);
    const [r2, , b2] = rgbOf(bucketColour('blueOrange', -10)!);
    assert.ok(b2 > r2);
  });

  test('single hue runs from no colour at the lowest bucket to the strongest at the highest', () => {
    assert.equal(bucketColour('singleHue', -10), undefined);
    assert.ok(bucketColour('singleHue', 0));
    assert.equal(alphaOf(bucketColour('singleHue', 10)!), MAX_ALPHA);
    assert.ok(alphaOf(bucketColour('singleHue', 0)!) < alphaOf(bucketColour('singleHue', 5)!));
    assert.deepEqual(rgbOf(bucketColour('singleHue', -5)!), rgbOf(bucketColour('singleHue', 5)!));
  });

  test('every palette has 2 × LEVELS coloured buckets, all translucent', () => {
    for (const name of PALETTE_NAMES) {
      const colours = paletteColours(name);
      assert.equal(colours.length, 2 * LEVELS, name);
      assert.deepEqual(
        colours.map((c) => c.bucket),
        [...colours.map((c) => c.bucket)].sort((a, b) => a - b),
      );
      for (const c of colours) assert.ok(alphaOf(c.css) > 0 && alphaOf(c.css) <= MAX_ALPHA && MAX_ALPHA < 1, c.css);
    }
    assert.ok(isPaletteName('blueOrange'));
    assert.ok(!isPaletteName('rainbow'));
  });
});
