import { NeuronLensError } from '../errors';
import { describeValue } from '../../shared/errors';
import type { WordVectors } from './wordVectors';

export interface Neighbour {
  word: string;
  /** Cosine similarity, in [-1, 1]. */
  similarity: number;
}

/**
 * Cosine queries over a set of word vectors. Rows are normalised once, so each query is one dot
 * product per word; a zero vector (an untrained word) has similarity 0 to everything.
 */
export class VectorIndex {
  private readonly unit: Float32Array;
  private readonly index = new Map<string, number>();

  constructor(readonly source: WordVectors) {
    const { words, dim, vectors } = source;
    this.unit = new Float32Array(vectors.length);
    words.forEach((w, r) => {
      this.index.set(w, r);
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += vectors[r * dim + d]! ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) this.unit[r * dim + d] = vectors[r * dim + d]! * scale;
    });
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** The `k` words most similar to `word`, best first, the word itself excluded. */
  nearest(word: string, k = 10): Neighbour[] {
    const [row] = this.rows([word]);
    return this.nearestTo(this.unitRow(row!), k, new Set([row!]));
  }

  /**
   * The word d completing "a is to b as c is to d": the `k` words nearest to b − a + c (3CosAdd
   * on unit vectors, as word2vec.c's word-analogy does), the three inputs excluded.
   */
  analogy(a: string, b: string, c: string, k = 10): Neighbour[] {
    const [ra, rb, rc] = this.rows([a, b, c]);
    const dim = this.source.dim;
    const query = new Float32Array(dim);
    const ua = this.unitRow(ra!);
    const ub = this.unitRow(rb!);
    const uc = this.unitRow(rc!);
    for (let d = 0; d < dim; d++) query[d] = ub[d]! - ua[d]! + uc[d]!;
    return this.nearestTo(query, k, new Set([ra!, rb!, rc!]));
  }

  /** Cosine similarity of two words of the vocabulary. */
  similarity(a: string, b: string): number {
    const [ra, rb] = this.rows([a, b]);
    return dot(this.unitRow(ra!), this.unitRow(rb!));
  }

  /** The `k` words whose vectors have the highest cosine with `query`, best first. */
  nearestTo(query: Float32Array, k: number, exclude: ReadonlySet<number> = new Set()): Neighbour[] {
    const dim = this.source.dim;
    if (query.length !== dim) throw new NeuronLensError(`A query vector has ${query.length} values; these word vectors have ${dim}`);
    if (!Number.isInteger(k) || k < 1)
      throw new NeuronLensError(`The number of neighbours must be a positive integer, got ${describeValue(k)}`);
    let qn = 0;
    for (let d = 0; d < dim; d++) qn += query[d]! ** 2;
    const qScale = qn > 0 ? 1 / Math.sqrt(qn) : 0;
    // Best k kept sorted descending; k is small, so insertion beats a heap here.
    const best: { row: number; similarity: number }[] = [];
    const rows = this.source.words.length;
    for (let r = 0; r < rows; r++) {
      if (exclude.has(r)) continue;
      let s = 0;
      const off = r * dim;
      for (let d = 0; d < dim; d++) s += this.unit[off + d]! * query[d]!;
      s *= qScale;
      if (best.length === k && s <= best[k - 1]!.similarity) continue;
      let i = best.length === k ? k - 1 : best.length;
      if (best.length < k) best.push({ row: r, similarity: s });
      while (i > 0 && best[i - 1]!.similarity < s) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = { row: r, similarity: s };
    }
    return best.map(({ row, similarity }) => ({ word: this.source.words[row]!, similarity }));
  }

  private unitRow(row: number): Float32Array {
    const dim = this.source.dim;
    return this.unit.subarray(row * dim, (row + 1) * dim);
  }

  /** Rows of the given words; every missing word is named at once, so one run shows them all. */
  rows(words: readonly string[]): number[] {
    const missing = [...new Set(words.filter((w) => !this.index.has(w)))];
    if (missing.length > 0) {
      throw new NeuronLensError(
        `Not in the vocabulary of the word vectors (${this.source.words.length} words): ${missing.map((w) => describeValue(w)).join(', ')}`,
        'not-found',
      );
    }
    return words.map((w) => this.index.get(w)!);
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
