import { DftPlan } from './fft';
import { NeuronLensError } from './errors';

/**
 * Spectra of neuron activity over tokens (the Visualization-of-RNNs Fourier analysis), fixed:
 * the mean is removed (else the DC bin dwarfs everything), an optional Hann window limits leakage,
 * the one-sided spectrum keeps the Nyquist bin (a neuron firing on every second token has all its
 * energy at 0.5 cycles/token) and doubles exactly the bins that have a mirror image. `faithful`
 * reproduces the reference project instead, quirks included, for comparison.
 */
export type SpectrumMode = 'improved' | 'faithful';
export type SpectrumWindow = 'none' | 'hann';
export type SpectrumScale = 'amplitude' | 'power';

export interface SpectrumOptions {
  mode?: SpectrumMode;
  window?: SpectrumWindow;
  scale?: SpectrumScale;
}

export interface Spectra {
  /** Cycles per token of each bin: k / T. */
  frequencies: Float64Array;
  /** The neurons transformed, in the order of the rows. */
  neurons: number[];
  /** neurons × bins, row-major. Amplitude: a sinusoid of amplitude a shows a; power: a². */
  values: Float32Array;
  scale: SpectrumScale;
  tokens: number;
}

export interface Peak {
  bin: number;
  frequency: number;
  /** Tokens per cycle, 1/f. */
  period: number;
  value: number;
  /** Power at the peak over the local noise floor. */
  ratio: number;
}

/** Spectra of the given neurons of a tokens × units matrix (row t = token t). */
export function neuronSpectra(
  values: Float32Array,
  units: number,
  neurons: readonly number[] = Array.from({ length: units }, (_, i) => i),
  options: SpectrumOptions = {},
): Spectra {
  const mode = options.mode ?? 'improved';
  const scale = options.scale ?? 'power';
  const T = values.length / units;
  if (!Number.isInteger(T) || T < 2) throw new NeuronLensError('A spectrum needs at least 2 tokens');
  for (const n of neurons) {
    if (!Number.isInteger(n) || n < 0 || n >= units) throw new NeuronLensError(`Neuron ${n} does not exist (0–${units - 1})`);
  }
  const window = makeWindow(T, mode === 'faithful' ? 'none' : (options.window ?? 'none'));
  const gain = window.reduce((a, b) => a + b, 0);
  const bins = mode === 'faithful' ? Math.floor(T / 2) : Math.floor(T / 2) + 1;
  const doubled = (k: number): boolean =>
    mode === 'faithful' ? k >= 2 && k <= Math.floor(T / 2) - 3 : k > 0 && !(T % 2 === 0 && k === T / 2);
  const plan = new DftPlan(T);
  const out = new Float32Array(neurons.length * bins);

  const prepared = (n: number): Float64Array => {
    const x = new Float64Array(T);
    let mean = 0;
    for (let t = 0; t < T; t++) mean += x[t] = values[t * units + n]!;
    mean = mode === 'faithful' ? 0 : mean / T;
    for (let t = 0; t < T; t++) x[t] = (x[t]! - mean) * window[t]!;
    return x;
  };
  const write = (row: number, X: { re: Float64Array; im: Float64Array }): void => {
    for (let k = 0; k < bins; k++) {
      let a = Math.hypot(X.re[k]!, X.im[k]!) / gain;
      if (doubled(k)) a *= 2;
      out[row * bins + k] = scale === 'power' ? a * a : a;
    }
  };
  for (let row = 0; row < neurons.length; row += 2) {
    const a = prepared(neurons[row]!);
    const b = row + 1 < neurons.length ? prepared(neurons[row + 1]!) : new Float64Array(T);
    const [A, B] = plan.forwardRealPair(a, b);
    write(row, A);
    if (row + 1 < neurons.length) write(row + 1, B);
  }
  const frequencies = Float64Array.from({ length: bins }, (_, k) => k / T);
  return { frequencies, neurons: [...neurons], values: out, scale, tokens: T };
}

function makeWindow(T: number, kind: SpectrumWindow): Float64Array {
  const w = new Float64Array(T).fill(1);
  if (kind === 'hann') for (let t = 0; t < T; t++) w[t] = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / (T - 1));
  return w;
}

/** One neuron's row of a spectra matrix. */
export function spectrumRow(s: Spectra, row: number): Float32Array {
  const bins = s.frequencies.length;
  return s.values.subarray(row * bins, (row + 1) * bins);
}

/**
 * Significant peaks of one spectrum. The noise floor is the median power in each of 16 equal
 * frequency segments (a local floor, since neuron activity has more power at low frequencies).
 * Under a white-noise null a bin's power is exponential, so it exceeds c × median with probability
 * 2^−c; with c = log2(bins / α) the chance of any false peak in the whole spectrum is about α
 * (5 %). A peak is a local maximum above that threshold with at least two cycles in the text (a
 * slower drift is a trend, not a period); DC is never a peak.
 */
export function findPeaks(s: Spectra, row: number, alpha = 0.05): Peak[] {
  const values = spectrumRow(s, row);
  const bins = values.length;
  const power = Float64Array.from(values, (v) => (s.scale === 'power' ? v : v * v));
  // Rounding noise of a clean signal is no floor to stand on: never below 1e-9 of the strongest bin.
  const least = 1e-9 * power.reduce((m, p) => Math.max(m, p), 0);
  const floor = segmentMedians(power, 16).map((f) => Math.max(f, least));
  const c = Math.log2(Math.max(2, bins - 1) / alpha);
  const peaks: Peak[] = [];
  for (let k = 2; k < bins; k++) {
    const p = power[k]!;
    if (!(p > 0)) continue;
    const left = power[k - 1]!;
    const right = k + 1 < bins ? power[k + 1]! : -Infinity;
    if (p < left || p < right) continue;
    const f = floor[k]!;
    const ratio = f > 0 ? p / f : Infinity;
    if (ratio < c) continue;
    const frequency = s.frequencies[k]!;
    peaks.push({ bin: k, frequency, period: 1 / frequency, value: values[k]!, ratio });
  }
  return peaks.sort((a, b) => b.ratio - a.ratio || b.value - a.value);
}

function segmentMedians(power: Float64Array, segments: number): Float64Array {
  const n = power.length;
  const floor = new Float64Array(n);
  // Skip DC: after mean removal it is 0 and would drag the first segment's median down.
  const start = Math.min(1, n - 1);
  const width = Math.max(8, Math.ceil((n - start) / segments));
  for (let lo = start; lo < n; lo += width) {
    const hi = Math.min(n, lo + width);
    const sorted = power.slice(lo, hi).sort();
    const median = sorted[Math.floor(sorted.length / 2)]!;
    floor.fill(median, lo, hi);
  }
  floor[0] = floor[start]!;
  return floor;
}

/** The band of interest clamped to [0, 0.5] cycles/token; a reversed band is an error. */
export function clampBand(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new NeuronLensError(`Invalid band ${lo}–${hi}: need lo ≤ hi`);
  return [Math.max(0, lo), Math.min(0.5, hi)];
}

/**
 * Ranks rows by their spectrum inside the band: `sum` of power (the energy a neuron puts into the
 * band) or the reference project's `max` amplitude. Returns rows, best first, with their scores.
 */
export function rankByBand(
  s: Spectra,
  lo: number,
  hi: number,
  by: 'sum' | 'max' = 'sum',
): { row: number; neuron: number; score: number }[] {
  const [a, b] = clampBand(lo, hi);
  const bins = s.frequencies.length;
  const ranked = s.neurons.map((neuron, row) => {
    let score = 0;
    for (let k = 0; k < bins; k++) {
      const f = s.frequencies[k]!;
      if (f < a || f > b) continue;
      const v = s.values[row * bins + k]!;
      const power = s.scale === 'power' ? v : v * v;
      score = by === 'sum' ? score + power : Math.max(score, Math.sqrt(power));
    }
    return { row, neuron, score };
  });
  return ranked.sort((x, y) => y.score - x.score || x.neuron - y.neuron);
}
