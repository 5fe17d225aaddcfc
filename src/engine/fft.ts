/**
 * Discrete Fourier transform of any length: an iterative radix-2 FFT for powers of two and
 * Bluestein's chirp-z algorithm (three power-of-two FFTs) for every other length, so spectra use
 * exactly the T tokens of a document (frequencies k/T), with no zero padding to blur them.
 * Complex numbers are split into separate real and imaginary Float64Arrays.
 */

export interface Complex {
  re: Float64Array;
  im: Float64Array;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * In-place radix-2 FFT of one power-of-two size, with its bit-reversal permutation and twiddle
 * factors computed once (from cos/sin of each index: repeated multiplication would drift).
 */
class Radix2 {
  private readonly reversed: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(readonly n: number) {
    this.reversed = new Uint32Array(n);
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      this.reversed[i] = j;
    }
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  /** `inverse` flips the sign of the exponent (no 1/n scaling). */
  transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const n = this.n;
    const rev = this.reversed;
    for (let i = 1; i < n; i++) {
      const j = rev[i]!;
      if (i < j) {
        const r = re[i]!;
        re[i] = re[j]!;
        re[j] = r;
        const m = im[i]!;
        im[i] = im[j]!;
        im[j] = m;
      }
    }
    const sign = inverse ? -1 : 1;
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const stride = n / size;
      for (let k = 0; k < half; k++) {
        const wr = this.cos[k * stride]!;
        const wi = sign * this.sin[k * stride]!;
        for (let a = k; a < n; a += size) {
          const b = a + half;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
  }
}

/** Largest prime factor the mixed-radix FFT handles directly; longer lengths use Bluestein. */
const MAX_RADIX = 64;

/** The factors of n, fours first (fewest passes), or undefined if a prime factor is too large. */
function smallFactors(n: number): number[] | undefined {
  const factors: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    factors.push(4);
    rest /= 4;
  }
  for (let p = 2; p <= MAX_RADIX && rest > 1; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  return rest === 1 ? factors : undefined;
}

/**
 * Mixed-radix Cooley–Tukey FFT (decimation in time, recursive over the factors) for lengths whose
 * prime factors are small, e.g. 10,000 = 4·4·5·5·5·5: several times less work than Bluestein's
 * three power-of-two transforms of 32,768. Each stage combines the p sub-transforms in place:
 * the p inputs of output column k1 (positions q·m + k1) are exactly its p outputs (k1 + m·k2).
 */
class MixedRadix {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly tRe: Float64Array;
  private readonly tIm: Float64Array;

  constructor(
    readonly n: number,
    private readonly factors: number[],
  ) {
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      this.cos[j] = Math.cos((2 * Math.PI * j) / n);
      this.sin[j] = -Math.sin((2 * Math.PI * j) / n);
    }
    const p = Math.max(1, ...factors);
    this.tRe = new Float64Array(p);
    this.tIm = new Float64Array(p);
  }

  transform(inRe: Float64Array, inIm: Float64Array): Complex {
    const out = { re: new Float64Array(this.n), im: new Float64Array(this.n) };
    this.step(inRe, inIm, 0, 1, 0, out.re, out.im, 0);
    return out;
  }

  private step(
    inRe: Float64Array,
    inIm: Float64Array,
    inOffset: number,
    stride: number,
    level: number,
    outRe: Float64Array,
    outIm: Float64Array,
    outOffset: number,
  ): void {
    const p = this.factors[level];
    if (p === undefined) {
      outRe[outOffset] = inRe[inOffset]!;
      outIm[outOffset] = inIm[inOffset]!;
      return;
    }
    const size = stride === 1 ? this.n : this.n / stride;
    const m = size / p;
    for (let q = 0; q < p; q++) this.step(inRe, inIm, inOffset + q * stride, stride * p, level + 1, outRe, outIm, outOffset + q * m);
    // Twiddle W_size^x is W_n^(x · stride): one table for every stage.
    const { cos, sin, tRe, tIm, n } = this;
    const pStep = n / p;
    for (let k1 = 0; k1 < m; k1++) {
      for (let q = 0; q < p; q++) {
        const at = outOffset + q * m + k1;
        const w = (q * k1 * stride) % n;
        const re = outRe[at]!;
        const im = outIm[at]!;
        tRe[q] = re * cos[w]! - im * sin[w]!;
        tIm[q] = re * sin[w]! + im * cos[w]!;
      }
      for (let k2 = 0; k2 < p; k2++) {
        let sr = 0;
        let si = 0;
        for (let q = 0; q < p; q++) {
          const w = ((q * k2) % p) * pStep;
          sr += tRe[q]! * cos[w]! - tIm[q]! * sin[w]!;
          si += tRe[q]! * sin[w]! + tIm[q]! * cos[w]!;
        }
        outRe[outOffset + k1 + m * k2] = sr;
        outIm[outOffset + k1 + m * k2] = si;
      }
    }
  }
}

/**
 * A DFT plan for one length: reuses the chirp and its transform across the many neurons of a
 * spectrum, which all have the document's length.
 */
export class DftPlan {
  private readonly m: number;
  private readonly fft: Radix2;
  private readonly mixed?: MixedRadix;
  private readonly chirpRe?: Float64Array;
  private readonly chirpIm?: Float64Array;
  private readonly filterRe?: Float64Array;
  private readonly filterIm?: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`DFT length must be a positive integer, got ${n}`);
    const factors = isPowerOfTwo(n) ? undefined : smallFactors(n);
    if (factors) {
      this.mixed = new MixedRadix(n, factors);
      this.m = n;
      this.fft = new Radix2(1);
      return;
    }
    this.m = isPowerOfTwo(n) ? n : nextPowerOfTwo(2 * n - 1);
    this.fft = new Radix2(this.m);
    if (isPowerOfTwo(n)) return;
    // Bluestein: X[k] = conj(w[k]) · Σ_t (x[t] conj(w[t])) · w[k − t], with w[t] = e^{iπt²/n}.
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      // t² mod 2n keeps the angle small, so large n does not lose precision.
      const angle = (Math.PI * ((t * t) % (2 * n))) / n;
      this.chirpRe[t] = Math.cos(angle);
      this.chirpIm[t] = Math.sin(angle);
    }
    this.filterRe = new Float64Array(this.m);
    this.filterIm = new Float64Array(this.m);
    for (let t = 0; t < n; t++) {
      this.filterRe[t] = this.chirpRe[t]!;
      this.filterIm[t] = this.chirpIm[t]!;
      if (t > 0) {
        this.filterRe[this.m - t] = this.chirpRe[t]!;
        this.filterIm[this.m - t] = this.chirpIm[t]!;
      }
    }
    this.fft.transform(this.filterRe, this.filterIm, false);
  }

  /** Forward DFT of a complex sequence of length n: X[k] = Σ_t x[t] e^{−2πikt/n}. */
  forward(input: Complex): Complex {
    const { n, m } = this;
    if (input.re.length !== n || input.im.length !== n) throw new RangeError(`expected ${n} samples`);
    if (this.mixed) return this.mixed.transform(input.re, input.im);
    if (!this.chirpRe) {
      const re = Float64Array.from(input.re);
      const im = Float64Array.from(input.im);
      this.fft.transform(re, im, false);
      return { re, im };
    }
    const cr = this.chirpRe!;
    const ci = this.chirpIm!;
    const re = new Float64Array(m);
    const im = new Float64Array(m);
    for (let t = 0; t < n; t++) {
      // x[t] · conj(w[t])
      re[t] = input.re[t]! * cr[t]! + input.im[t]! * ci[t]!;
      im[t] = input.im[t]! * cr[t]! - input.re[t]! * ci[t]!;
    }
    this.fft.transform(re, im, false);
    const fr = this.filterRe!;
    const fi = this.filterIm!;
    for (let k = 0; k < m; k++) {
      const r = re[k]! * fr[k]! - im[k]! * fi[k]!;
      im[k] = re[k]! * fi[k]! + im[k]! * fr[k]!;
      re[k] = r;
    }
    this.fft.transform(re, im, true);
    const out = { re: new Float64Array(n), im: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      const r = re[k]! / m;
      const i = im[k]! / m;
      out.re[k] = r * cr[k]! + i * ci[k]!;
      out.im[k] = i * cr[k]! - r * ci[k]!;
    }
    return out;
  }

  /**
   * Transforms of two real sequences with one complex DFT: z = a + ib, then
   * A[k] = (Z[k] + conj Z[n−k]) / 2 and B[k] = (Z[k] − conj Z[n−k]) / 2i. Halves the work of a
   * spectrum over many neurons.
   */
  forwardRealPair(a: ArrayLike<number>, b: ArrayLike<number>): [Complex, Complex] {
    const n = this.n;
    const z = this.forward({ re: Float64Array.from(a), im: Float64Array.from(b) });
    const A = { re: new Float64Array(n), im: new Float64Array(n) };
    const B = { re: new Float64Array(n), im: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      const j = (n - k) % n;
      const zr = z.re[k]!;
      const zi = z.im[k]!;
      const cr = z.re[j]!;
      const ci = -z.im[j]!;
      A.re[k] = (zr + cr) / 2;
      A.im[k] = (zi + ci) / 2;
      B.re[k] = (zi - ci) / 2;
      B.im[k] = -(zr - cr) / 2;
    }
    return [A, B];
  }
}

/** The textbook O(n²) DFT: the reference the FFT is tested against. */
export function directDft(input: Complex): Complex {
  const n = input.re.length;
  const out = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    let r = 0;
    let i = 0;
    for (let t = 0; t < n; t++) {
      const angle = (-2 * Math.PI * ((k * t) % n)) / n;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      r += input.re[t]! * c - input.im[t]! * s;
      i += input.re[t]! * s + input.im[t]! * c;
    }
    out.re[k] = r;
    out.im[k] = i;
  }
  return out;
}
