import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DftPlan, directDft } from '../../src/engine/fft';
import { clampBand, findPeaks, neuronSpectra, rankByBand, spectrumRow } from '../../src/engine/fourier';
import { Random } from '../../src/engine/random';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A tokens × units matrix whose columns are the given sequences. */
function matrix(...columns: ArrayLike<number>[]): Float32Array {
  const T = columns[0]!.length;
  const out = new Float32Array(T * columns.length);
  columns.forEach((c, j) => {
    for (let t = 0; t < T; t++) out[t * columns.length + j] = c[t]!;
  });
  return out;
}

describe('FFT', () => {
  it('equals the direct DFT for power-of-two and other lengths', () => {
    const rng = new Random(5);
    // Powers of two, small-factor lengths (mixed radix), and lengths with a large prime factor (Bluestein).
    for (const n of [1, 2, 3, 5, 8, 12, 17, 64, 100, 134, 257, 1000, 2000]) {
      const x = { re: Float64Array.from({ length: n }, () => rng.normal()), im: Float64Array.from({ length: n }, () => rng.normal()) };
      const fast = new DftPlan(n).forward(x);
      const slow = directDft(x);
      const tolerance = 1e-9 * n;
      assert.ok(maxAbsDiff(fast.re, slow.re) < tolerance, `re differs at n=${n}`);
      assert.ok(maxAbsDiff(fast.im, slow.im) < tolerance, `im differs at n=${n}`);
    }
  });

  it('transforms two real sequences at once exactly like one at a time', () => {
    const rng = new Random(6);
    for (const n of [7, 16, 30]) {
      const a = Float64Array.from({ length: n }, () => rng.normal());
      const b = Float64Array.from({ length: n }, () => rng.normal());
      const [A, B] = new DftPlan(n).forwardRealPair(a, b);
      const refA = directDft({ re: a, im: new Float64Array(n) });
      const refB = directDft({ re: b, im: new Float64Array(n) });
      assert.ok(maxAbsDiff(A.re, refA.re) < 1e-9 && maxAbsDiff(A.im, refA.im) < 1e-9);
      assert.ok(maxAbsDiff(B.re, refB.re) < 1e-9 && maxAbsDiff(B.im, refB.im) < 1e-9);
    }
  });

  it('rejects a non-positive length', () => {
    assert.throws(() => new DftPlan(0), /positive integer/);
  });
});

describe('neuron spectra', () => {
  const T = 200;
  const cosine = Float64Array.from({ length: T }, (_, t) => Math.cos(2 * Math.PI * 0.25 * t));
  const alternating = Float64Array.from({ length: T }, (_, t) => (t % 2 === 0 ? 1 : -1));

  it('shows a cosine of amplitude 1 at its frequency with amplitude 1', () => {
    const s = neuronSpectra(matrix(cosine), 1, [0], { scale: 'amplitude' });
    const row = spectrumRow(s, 0);
    assert.equal(s.frequencies[50], 0.25);
    assert.ok(Math.abs(row[50]! - 1) < 1e-6);
    assert.ok(Math.abs(row[49]!) < 1e-6 && Math.abs(row[0]!) < 1e-6);
  });

  it('keeps the Nyquist bin: a neuron alternating every token peaks at 0.5 with period 2', () => {
    const s = neuronSpectra(matrix(alternating), 1);
    assert.equal(s.frequencies[s.frequencies.length - 1], 0.5);
    const peaks = findPeaks(s, 0);
    assert.equal(peaks.length, 1, 'rounding noise of a clean signal makes no peaks');
    assert.equal(peaks[0]!.frequency, 0.5);
    assert.equal(peaks[0]!.period, 2);
    assert.ok(Math.abs(peaks[0]!.value - 1) < 1e-6, 'power of a ±1 alternation is 1');
  });

  it('faithful mode reproduces the reference: no mean removal, Nyquist dropped, partial doubling', () => {
    const constant = new Float64Array(T).fill(0.7);
    const s = neuronSpectra(matrix(cosine, alternating, constant), 3, [0, 1, 2], { mode: 'faithful', scale: 'amplitude' });
    assert.equal(s.frequencies.length, T / 2);
    assert.ok(Math.abs(spectrumRow(s, 0)[50]! - 1) < 1e-6);
    assert.ok(Math.max(...spectrumRow(s, 1)) < 1e-6, 'the alternation is invisible without the Nyquist bin');
    assert.ok(Math.abs(spectrumRow(s, 2)[0]! - 0.7) < 1e-6, 'DC is the mean, not doubled');
  });

  it('normalises a Hann window by its coherent gain', () => {
    const s = neuronSpectra(matrix(cosine), 1, [0], { window: 'hann', scale: 'amplitude' });
    assert.ok(Math.abs(spectrumRow(s, 0)[50]! - 1) < 0.02);
  });

  it('returns the rows of the neurons asked for, in that order', () => {
    const s = neuronSpectra(matrix(cosine, alternating, cosine), 3, [1, 0], { scale: 'amplitude' });
    assert.deepEqual(s.neurons, [1, 0]);
    assert.ok(Math.abs(spectrumRow(s, 0)[100]! - 1) < 1e-6);
    assert.ok(Math.abs(spectrumRow(s, 1)[50]! - 1) < 1e-6);
    assert.throws(() => neuronSpectra(matrix(cosine), 1, [3]), /Neuron 3 does not exist/);
  });

  it('finds a weak periodic signal in noise and no peak in noise alone', () => {
    const rng = new Random(11);
    const n = 4000;
    const noisy = Float64Array.from({ length: n }, (_, t) => rng.normal() + 0.5 * Math.sin(2 * Math.PI * 0.125 * t));
    const noise = Float64Array.from({ length: n }, () => rng.normal());
    const s = neuronSpectra(matrix(noisy, noise), 2);
    const peaks = findPeaks(s, 0);
    assert.equal(peaks.length, 1);
    assert.equal(peaks[0]!.frequency, 0.125);
    assert.equal(peaks[0]!.period, 8);
    assert.deepEqual(findPeaks(s, 1), []);
  });

  it('ranks by power inside the band, whatever happens outside it', () => {
    const n = 400;
    const at045 = Float64Array.from({ length: n }, (_, t) => Math.cos(2 * Math.PI * 0.45 * t));
    const at030 = Float64Array.from({ length: n }, (_, t) => 3 * Math.cos(2 * Math.PI * 0.3 * t));
    const s = neuronSpectra(matrix(at030, at045), 2);
    assert.deepEqual(
      rankByBand(s, 0.4, 0.5).map((r) => r.neuron),
      [1, 0],
    );
    assert.deepEqual(
      rankByBand(s, 0.4, 0.5, 'max').map((r) => r.neuron),
      [1, 0],
    );
    assert.deepEqual(
      rankByBand(s, 0, 0.5).map((r) => r.neuron),
      [0, 1],
    );
    assert.deepEqual(clampBand(0.3, 0.9), [0.3, 0.5]);
    assert.throws(() => clampBand(0.4, 0.2), /need lo ≤ hi/);
  });
});
