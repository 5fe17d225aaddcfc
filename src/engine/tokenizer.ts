/**
 * Tokenizers. A token is a slice `[start, end)` of the original string (UTF-16 offsets, as VS Code
 * and JavaScript count them), and the tokens of a text always concatenate back to that exact text:
 * nothing is normalised, dropped or merged across line ends.
 */
export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export type TokenLevel = 'char' | 'word';
export const TOKEN_LEVELS: readonly TokenLevel[] = ['char', 'word'];

/**
 * One token per Unicode code point, so an emoji or other astral character (a surrogate pair) is one
 * token and a combining mark is a token of its own. Code points rather than grapheme clusters keep
 * the vocabulary small and the split independent of the ICU version.
 */
export function charTokens(text: string): Token[] {
  const tokens: Token[] = [];
  let start = 0;
  for (const ch of text) {
    tokens.push({ text: ch, start, end: start + ch.length });
    start += ch.length;
  }
  return tokens;
}

/**
 * Words are runs of letters, combining marks, digits and connector punctuation (so "naïve" written
 * with a combining diaeresis stays one word). Each line end (CRLF, LF or CR) is its own token; other
 * whitespace runs are single tokens; every other code point (punctuation, symbols, emoji) is a
 * token by itself, so spaces, full stops and quotes can be studied as features.
 */
const WORD_PATTERN = /[\p{L}\p{M}\p{N}\p{Pc}]+|\r\n|\n|\r|[^\S\r\n]+|[\s\S]/gu;

export function wordTokens(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(WORD_PATTERN)) {
    const start = m.index;
    tokens.push({ text: m[0], start, end: start + m[0].length });
  }
  return tokens;
}

export function tokenize(text: string, level: TokenLevel): Token[] {
  return level === 'char' ? charTokens(text) : wordTokens(text);
}
