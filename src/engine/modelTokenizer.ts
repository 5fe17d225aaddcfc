import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { TOKEN_LEVELS, type Token, type TokenLevel, tokenize } from './tokenizer';
import { Vocabulary } from './vocabulary';

export interface TokenizerJSON {
  level: TokenLevel;
  vocabulary: { tokens: string[] };
}

/** A tokenization level plus the vocabulary a model was trained with. */
export class ModelTokenizer {
  constructor(
    readonly level: TokenLevel,
    readonly vocabulary: Vocabulary,
  ) {}

  static fromJSON(json: unknown): ModelTokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || !TOKEN_LEVELS.includes(j.level as TokenLevel)) {
      throw new NeuronLensError(`Unknown tokenizer level ${describeValue(j?.level)} (expected char or word)`, 'invalid-model');
    }
    return new ModelTokenizer(j.level as TokenLevel, Vocabulary.fromJSON(j.vocabulary));
  }

  toJSON(): TokenizerJSON {
    return { level: this.level, vocabulary: this.vocabulary.toJSON() };
  }

  tokenize(text: string): Token[] {
    return tokenize(text, this.level);
  }

  encode(text: string): { tokens: Token[]; ids: Int32Array } {
    const tokens = this.tokenize(text);
    return { tokens, ids: this.vocabulary.encode(tokens.map((t) => t.text)) };
  }

  /** Share of tokens the vocabulary does not know (mapped to <unk>). */
  unknownRate(ids: Int32Array): number {
    if (ids.length === 0) return 0;
    let unk = 0;
    for (const id of ids) if (id === 0) unk++;
    return unk / ids.length;
  }
}
