import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';

export const UNK = '<unk>';

export interface VocabularyOptions {
  /** Tokens seen fewer times than this map to `<unk>`. */
  minCount?: number;
  /** At most this many entries, `<unk>` included; the most frequent tokens win. */
  maxSize?: number;
}

export interface VocabularyJSON {
  tokens: string[];
}

/**
 * Maps token strings to ids. Id 0 is always `<unk>`; the rest are ordered by descending frequency,
 * ties broken by code-unit order, so the same corpus always gives the same ids.
 */
export class Vocabulary {
  private readonly index = new Map<string, number>();

  private constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, i) => {
      if (this.index.has(t)) throw new NeuronLensError(`Vocabulary has a duplicate entry ${describeValue(t)}`, 'invalid-model');
      this.index.set(t, i);
    });
    if (tokens[0] !== UNK) throw new NeuronLensError(`Vocabulary must start with ${UNK}`, 'invalid-model');
  }

  static build(texts: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    const maxSize = options.maxSize ?? Number.MAX_SAFE_INTEGER;
    if (maxSize < 1) throw new NeuronLensError('Vocabulary max size must be at least 1');
    const counts = new Map<string, number>();
    for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(UNK);
    const kept = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxSize - 1)
      .map(([t]) => t);
    return new Vocabulary([UNK, ...kept]);
  }

  static fromJSON(json: unknown): Vocabulary {
    const tokens = (json as VocabularyJSON | null)?.tokens;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
      throw new NeuronLensError('Vocabulary must be a list of strings', 'invalid-model');
    }
    return new Vocabulary(tokens);
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens] };
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number {
    return this.index.get(token) ?? 0;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new RangeError(`Token id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }

  encode(tokens: Iterable<string>): Int32Array {
    const ids: number[] = [];
    for (const t of tokens) ids.push(this.id(t));
    return Int32Array.from(ids);
  }
}
