/**
 * What the Fourier page accepts from the extension (parseToFourier): spectra as the engine
 * computes them (neuronSpectra, rankByBand, findPeaks on seeded signals). Anything malformed is
 * refused whole.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findPeaks, neuronSpectra, rankByBand } from '../../src/engine/fourier';
import { Random } from '../../src/engine/random';
import { type SpectraData, parseToFourier } from '../../src/shared/panelMessages';

const T = 64;
const NEURONS = [3, 0, 7];

/** Neuron 3 alternates (all its power at 0.5), 0 has period 8, 7 is noise: a matrix of 8 units of which 3 are studied. */
function spectra(): SpectraData {
  const rng = new Random(3);
  const values = new Float32Array(T * 8);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < 8; n++) values[t * 8 + n] = 0.3 * rng.normal();
    values[t * 8 + 3] = t % 2 ? 1 : -1;
    values[t * 8 + 0] = Math.cos((2 * Math.PI * t) / 8);
  }
  const s = neuronSpectra(values, 8, NEURONS, { scale: 'amplitude', window: 'hann' });
  const band: [number, number] = [0.4, 0.5];
  return {
    title: 'notes.txt layer 0 h',
    tokens: T,
    frequencies: s.frequencies,
    neurons: s.neurons,
    values: s.values,
    scale: 'amplitude',
    window: 'hann',
    band,
    ranking: rankByBand(s, band[0], band[1]).map(({ neuron, score }) => ({ neuron, score })),
    peaks: s.neurons.map((neuron, row) => ({
      neuron,
      peaks: findPeaks(s, row).map(({ frequency, period, value, ratio }) => ({ frequency, period, value, ratio })),
    })),
  };
}

describe('Fourier page messages', () => {
  test('spectra, a selection and an error pass unchanged', () => {
    const data = spectra();
    assert.equal(data.ranking[0]!.neuron, 3, 'the alternating neuron ranks first in [0.4, 0.5]');
    assert.ok(
      data.peaks.some((p) => p.peaks.length > 0),
      'the fixture has peaks to check',
    );
    assert.deepEqual(parseToFourier({ type: 'spectra', data }), { type: 'spectra', data });
    assert.deepEqual(parseToFourier({ type: 'selectNeuron', neuron: 7 }), { type: 'selectNeuron', neuron: 7 });
    assert.deepEqual(parseToFourier({ type: 'error', message: 'A spectrum needs at least 2 analysed tokens' }), {
      type: 'error',
      message: 'A spectrum needs at least 2 analysed tokens',
    });
  });

  test('malformed spectra are refused, whatever part is wrong', () => {
    const d = spectra();
    const bins = d.frequencies.length;
    const withPeak = d.peaks.findIndex((p) => p.peaks.length > 0);
    const peak = d.peaks[withPeak]!.peaks[0]!;
    const peaksWith = (change: Record<string, unknown>) =>
      d.peaks.map((p, i) => (i === withPeak ? { ...p, peaks: [{ ...peak, ...change }] } : p));
    const { ranking: _r, ...unranked } = d;
    const wrong: [string, unknown][] = [
      ['values one short of neurons × frequencies', { ...d, values: new Float32Array(d.values.length - 1) }],
      ['values as a Float64Array', { ...d, values: Float64Array.from(d.values) }],
      ['frequencies as a Float32Array', { ...d, frequencies: Float32Array.from(d.frequencies) }],
      ['frequencies as a plain array', { ...d, frequencies: Array.from(d.frequencies) }],
      ['frequencies out of order', { ...d, frequencies: Float64Array.from(d.frequencies).reverse() }],
      ['a frequency above 0.5', { ...d, frequencies: Float64Array.from(d.frequencies, (f) => f * 2) }],
      ['a NaN frequency', { ...d, frequencies: Float64Array.from(d.frequencies, (f, k) => (k === 1 ? Number.NaN : f)) }],
      ['no frequencies', { ...d, frequencies: new Float64Array(0), values: new Float32Array(0) }],
      ['no neurons', { ...d, neurons: [], values: new Float32Array(0), ranking: [], peaks: [] }],
      ['a negative neuron', { ...d, neurons: [3, -1, 7] }],
      ['a fractional neuron', { ...d, neurons: [3, 0.5, 7] }],
      ['neurons as a typed array', { ...d, neurons: Uint32Array.from(d.neurons) }],
      ['a ranked neuron that has no row', { ...d, ranking: [...d.ranking.slice(1), { neuron: 5, score: 1 }] }],
      ['a NaN score', { ...d, ranking: d.ranking.map((r, i) => (i === 0 ? { ...r, score: Number.NaN } : r)) }],
      ['no ranking', unranked],
      ['peaks of a neuron that has no row', { ...d, peaks: [...d.peaks, { neuron: 5, peaks: [] }] }],
      ['an infinite peak ratio', { ...d, peaks: peaksWith({ ratio: Infinity }) }],
      ['a peak above 0.5 cycles/token', { ...d, peaks: peaksWith({ frequency: 0.75 }) }],
      ['a peak period of 0', { ...d, peaks: peaksWith({ period: 0 }) }],
      ['a peak value as text', { ...d, peaks: peaksWith({ value: '1' }) }],
      ['a reversed band', { ...d, band: [0.5, 0.4] }],
      ['a band past 0.5', { ...d, band: [0.4, 0.6] }],
      ['a NaN band', { ...d, band: [Number.NaN, 0.5] }],
      ['a band of three', { ...d, band: [0.1, 0.2, 0.3] }],
      ['an unknown scale', { ...d, scale: 'decibel' }],
      ['an unknown window', { ...d, window: 'hamming' }],
      ['one token', { ...d, tokens: 1 }],
      ['fractional tokens', { ...d, tokens: 63.5 }],
      ['a title that is not text', { ...d, title: null }],
    ];
    assert.equal(bins, T / 2 + 1);
    for (const [what, data] of wrong) assert.equal(parseToFourier({ type: 'spectra', data }), undefined, what);
  });

  test('messages that are not the Fourier page’s, or not messages, are dropped', () => {
    for (const m of [
      null,
      'spectra',
      { type: 'spectra' },
      { type: 'selectNeuron', neuron: -2 },
      { type: 'selectNeuron', neuron: '3' },
      { type: 'error' },
      { type: 'heatmap', data: spectra() },
      { type: 'relevance', data: {} },
      { type: 'trainingPoint', runId: 'r', point: { step: 1 } },
      { type: 'Spectra', data: spectra() },
    ])
      assert.equal(parseToFourier(m), undefined, JSON.stringify(m));
  });
});
