/**
 * What the heatmap page accepts from the extension (parseToHeatmap): activations as the engine's
 * componentMatrix sends them, and relevance tables as featureRelevance computes them, with and
 * without a permutation test. Anything malformed is refused whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { featureRelevance } from '../../src/engine/featureRelevance';
import { Random } from '../../src/engine/random';
import { type HeatmapData, type RelevanceData, parseToHeatmap } from '../../src/shared/panelMessages';

const TOKENS = Array.from('the cat sat on the mat. the dog sat.');
const UNITS = 5;

/** Seeded noise, with neuron 2 firing on spaces: the relevance table then has a clear top neuron. */
function values(): Float32Array {
  const rng = new Random(7);
  const v = new Float32Array(TOKENS.length * UNITS);
  TOKENS.forEach((t, i) => {
    for (let n = 0; n < UNITS; n++) v[i * UNITS + n] = 0.1 * rng.normal();
    v[i * UNITS + 2] = t === ' ' ? 0.9 : -0.2;
  });
  return v;
}

function heatmap(): HeatmapData {
  return {
    title: 'notes.txt',
    layer: 1,
    component: 'backward/h',
    range: 'unbounded',
    robustScale: 0.9,
    tokens: TOKENS,
    firstToken: 100,
    units: UNITS,
    values: values(),
    selectedNeuron: 4,
  };
}

function relevance(permutations = 0): RelevanceData {
  const table = featureRelevance(
    values(),
    UNITS,
    TOKENS,
    [' ', '/[.]/'],
    'cohen-d',
    3,
    permutations ? { permutations, seed: 5 } : undefined,
  );
  return {
    statistic: table.statistic,
    statisticLabel: "Cohen's d",
    neutral: table.neutral,
    ...(table.significance && { significance: table.significance }),
    features: table.features.map((f) => ({ ...f, scores: Float32Array.from(f.scores) })),
  };
}

describe('heatmap page messages', () => {
  test('activations, relevance (with and without p-values), a selection and an error pass unchanged', () => {
    const data = heatmap();
    assert.deepEqual(parseToHeatmap({ type: 'heatmap', data }), { type: 'heatmap', data });
    const { selectedNeuron: _selected, ...unselected } = data;
    assert.deepEqual(parseToHeatmap({ type: 'heatmap', data: unselected }), { type: 'heatmap', data: unselected });
    // An empty text passes: the page says there is nothing to show instead of staying blank.
    const empty = { ...data, tokens: [], values: new Float32Array(0), selectedNeuron: undefined };
    assert.equal(parseToHeatmap({ type: 'heatmap', data: empty })?.type, 'heatmap');

    const plain = relevance();
    assert.equal(plain.features[0]!.top[0]!.neuron, 2, 'the space neuron tops the fixture');
    assert.deepEqual(parseToHeatmap({ type: 'relevance', data: plain }), { type: 'relevance', data: plain });
    const tested = relevance(99);
    assert.ok(tested.features[0]!.pValues instanceof Float64Array);
    assert.deepEqual(parseToHeatmap({ type: 'relevance', data: tested }), { type: 'relevance', data: tested });
    // What the extension sends when the last feature is removed.
    const none = { statistic: 'auroc', statisticLabel: '', neutral: 0.5, features: [] };
    assert.deepEqual(parseToHeatmap({ type: 'relevance', data: none }), { type: 'relevance', data: none });

    assert.deepEqual(parseToHeatmap({ type: 'selectNeuron', neuron: 3, extra: 1 }), { type: 'selectNeuron', neuron: 3 });
    assert.deepEqual(parseToHeatmap({ type: 'error', message: 'no model' }), { type: 'error', message: 'no model' });
  });

  test('malformed activations are refused, whatever part is wrong', () => {
    const d = heatmap();
    const { title: _t, ...untitled } = d;
    const wrong: [string, unknown][] = [
      ['values one short of tokens × units', { ...d, values: new Float32Array(d.values.length - 1) }],
      ['values as a plain array', { ...d, values: Array.from(d.values) }],
      ['values as a Float64Array', { ...d, values: Float64Array.from(d.values) }],
      ['no units', { ...d, units: 0, values: new Float32Array(0) }],
      ['fractional units', { ...d, units: 2.5 }],
      ['a negative layer', { ...d, layer: -1 }],
      ['a fractional first token', { ...d, firstToken: 0.5 }],
      ['the first token as text', { ...d, firstToken: '100' }],
      ['a selected neuron past the last', { ...d, selectedNeuron: UNITS }],
      ['a negative selected neuron', { ...d, selectedNeuron: -1 }],
      ['a NaN scale', { ...d, robustScale: Number.NaN }],
      ['an infinite scale', { ...d, robustScale: Infinity }],
      ['a negative scale', { ...d, robustScale: -1 }],
      ['an unknown range', { ...d, range: 'log' }],
      ['a component id with markup', { ...d, component: '<b>h</b>' }],
      ['a token that is not text', { ...d, tokens: [...TOKENS.slice(1), 7] }],
      ['tokens as one string', { ...d, tokens: TOKENS.join('') }],
      ['a missing title', untitled],
      ['no data', undefined],
    ];
    for (const [what, data] of wrong) assert.equal(parseToHeatmap({ type: 'heatmap', data }), undefined, what);
  });

  test('malformed relevance is refused: every row must score the same neurons, tested rows carry all three arrays', () => {
    const r = relevance(99);
    const f = r.features[0]!;
    const row = (change: Record<string, unknown>) => ({ ...r, features: [{ ...f, ...change }, r.features[1]] });
    const { pValues: _p, ...untested } = f;
    const wrong: [string, unknown][] = [
      ['an unknown statistic', { ...r, statistic: 't-test' }],
      ['a NaN neutral', { ...r, neutral: Number.NaN }],
      ['a label that is not text', { ...r, statisticLabel: 3 }],
      ['scores one short', row({ scores: new Float32Array(UNITS - 1) })],
      ['scores as a Float64Array', row({ scores: Float64Array.from(f.scores) })],
      ['p-values as a Float32Array', row({ pValues: Float32Array.from(f.pValues!) })],
      ['q-values one short', row({ qValues: new Float64Array(UNITS - 1) })],
      ['significance flags as a plain array', row({ significant: Array.from(f.significant!) })],
      ['a tested row without p-values', { ...r, features: [untested, r.features[1]] }],
      ['p-values without a permutation test', { ...relevance(), features: [f] }],
      ['a top neuron past the last', row({ top: [{ neuron: UNITS, score: 1 }] })],
      ['a fractional top neuron', row({ top: [{ neuron: 1.5, score: 1 }] })],
      ['a NaN top score', row({ top: [{ neuron: 1, score: Number.NaN }] })],
      ['an empty feature', row({ feature: '' })],
      ['negative matches', row({ matches: -1 })],
      ['no permutations', { ...r, significance: { ...r.significance!, permutations: 0 } }],
      ['an unknown null model', { ...r, significance: { ...r.significance!, nullModel: 'bootstrap' } }],
      ['an FDR of 1', { ...r, significance: { ...r.significance!, fdr: 1 } }],
      ['a fractional seed', { ...r, significance: { ...r.significance!, seed: 0.5 } }],
      ['features as an object', { ...r, features: { 0: f } }],
    ];
    for (const [what, data] of wrong) assert.equal(parseToHeatmap({ type: 'relevance', data }), undefined, what);
  });

  test('messages that are not the heatmap page’s, or not messages, are dropped', () => {
    for (const m of [
      null,
      undefined,
      'heatmap',
      [{ type: 'error', message: 'x' }],
      {},
      { type: 'selectNeuron', neuron: -1 },
      { type: 'selectNeuron', neuron: 2.5 },
      { type: 'selectNeuron', neuron: Number.NaN },
      { type: 'selectNeuron' },
      { type: 'error', message: 42 },
      { type: 'error', message: 'x'.repeat(10_001) },
      { type: 'spectra', data: {} },
      { type: 'training', run: {} },
      { type: 'comparison', data: heatmap() },
      { type: 'HEATMAP', data: heatmap() },
    ])
      assert.equal(parseToHeatmap(m), undefined, JSON.stringify(m));
  });
});
