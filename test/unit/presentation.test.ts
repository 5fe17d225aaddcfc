import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { colourTokens } from '../../src/cli/ansi';
import { divergingColour, normalise, robustScale, textColourOn } from '../../src/engine/colourScale';
import { Random } from '../../src/engine/random';
import { standardizedMeanDifference, topByMagnitude } from '../../src/engine/relevance';
import { escapeHtml, renderReport } from '../../src/engine/report';
import { sampleLogits } from '../../src/engine/sampling';

describe('colour scale', () => {
  test('diverging colours: red positive, blue negative, neutral zero, clamped', () => {
    assert.deepEqual(divergingColour(1, 'dark'), [255, 0, 0]);
    assert.deepEqual(divergingColour(-1, 'dark'), [0, 0, 255]);
    assert.deepEqual(divergingColour(0, 'dark'), [0, 0, 0]);
    assert.deepEqual(divergingColour(0.5, 'light'), [255, 127, 127]);
    assert.deepEqual(divergingColour(0, 'light'), [255, 255, 255]);
    assert.deepEqual(divergingColour(7, 'dark'), [255, 0, 0]);
    assert.deepEqual(textColourOn([255, 255, 255]), [0, 0, 0]);
    assert.deepEqual(textColourOn([0, 0, 255]), [255, 255, 255]);
  });

  test('normalise: gates centred on 0.5, signed as is, unbounded by scale, NaN neutral', () => {
    assert.equal(normalise(1, 'unit'), 1);
    assert.equal(normalise(0, 'unit'), -1);
    assert.equal(normalise(0.5, 'unit'), 0);
    assert.equal(normalise(-0.25, 'signed'), -0.25);
    assert.equal(normalise(6, 'unbounded', 3), 1);
    assert.equal(normalise(-1.5, 'unbounded', 3), -0.5);
    assert.equal(normalise(Number.NaN, 'signed'), 0);
    const values = Array.from({ length: 1000 }, (_, i) => (i === 999 ? 1000 : i / 1000));
    assert.ok(Math.abs(robustScale(values) - 0.99) < 0.011);
  });

  test('ANSI colouring keeps line breaks uncoloured and escapes control characters', () => {
    const s = colourTokens([{ text: 'a' }, { text: '\r\n' }, { text: '\x1b[2J' }], [1, 0, -1]);
    assert.equal(s, '\x1b[48;2;255;0;0m\x1b[38;2;255;255;255ma\x1b[0m\n\x1b[48;2;0;0;255m\x1b[38;2;255;255;255m\\x1b[2J\x1b[0m');
  });
});

describe('HTML report', () => {
  test('token text is escaped everywhere', () => {
    assert.equal(escapeHtml(`<script>"'&`), '&lt;script&gt;&quot;&#39;&amp;');
    const html = renderReport('t <b>', [
      {
        heading: 'h',
        passages: [{ title: 'p', tokens: [{ text: '<script>' }, { text: '</span>' }], values: [1, -1], normalised: [1, -1] }],
      },
    ]);
    assert.ok(!html.includes('<script>'));
    assert.ok(!html.includes('</span></span>'));
    assert.ok(html.includes('&lt;script&gt;</span>'));
    assert.ok(html.includes('title="&quot;&lt;script&gt;&quot;: 1.0000"'));
    assert.ok(html.includes("default-src 'none'"));
  });
});

describe('relevance', () => {
  test('standardized mean difference finds the neuron that fires on the feature, with sign', () => {
    const rng = new Random(1);
    const T = 200;
    const units = 3;
    const isFeature = Array.from({ length: T }, (_, t) => t % 2 === 1);
    const values = new Float32Array(T * units);
    for (let t = 0; t < T; t++) {
      values[t * units] = rng.normal();
      values[t * units + 1] = (isFeature[t] ? 2 : 0) + 0.1 * rng.normal();
      values[t * units + 2] = (isFeature[t] ? -1 : 0) + 0.5 * rng.normal();
    }
    const d = standardizedMeanDifference(values, units, isFeature);
    assert.deepEqual(topByMagnitude(d, 3), [1, 2, 0]);
    assert.ok(d[1]! > 10 && d[2]! < -1 && Math.abs(d[0]!) < 0.5, Array.from(d).join(','));
    assert.deepEqual(Array.from(standardizedMeanDifference(values, units, Array(T).fill(false))), [0, 0, 0]);
  });
});

describe('sampling', () => {
  test('matches the softmax distribution, respects temperature 0 and the excluded id', () => {
    const rng = new Random(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleLogits([0, Math.log(2), Math.log(7)], 1, rng)]!++;
    assert.ok(Math.abs(counts[0]! / 20000 - 0.1) < 0.01 && Math.abs(counts[2]! / 20000 - 0.7) < 0.015, counts.join(','));
    assert.equal(sampleLogits([5, 1, 3], 0, rng), 0);
    assert.equal(sampleLogits([5, 1, 3], 0, rng, 0), 2);
    for (let i = 0; i < 100; i++) assert.notEqual(sampleLogits([9, 0, 0], 1, rng, 0), 0);
  });
});
