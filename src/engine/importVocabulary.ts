import * as fs from 'node:fs';
import { LIMITS } from './architecture';
import { NeuronLensError } from './errors';
import { describeValue } from '../shared/errors';
import { TOKEN_LEVELS, type TokenLevel } from './tokenizer';
import { UNK } from './vocabulary';

/** A vocabulary file is a word list or a tokenizer description; anything bigger is not one. */
const MAX_VOCAB_FILE_BYTES = 64 * 1024 * 1024;

/** What a vocabulary file says about the ids, before it is fitted to a model's size. */
export interface ParsedVocabulary {
  /** Token text by id; ids without a token are absent. Id 0 is reserved (padding). */
  byId: Map<number, string>;
  /** The file's own tokenization level, when it says (a Keras Tokenizer's `char_level`). */
  level?: TokenLevel;
  /** Notes about how the file will be read (lower-casing, OOV token…). */
  notes: string[];
  kind: 'keras-tokenizer' | 'word-index' | 'list';
}

function bad(file: string, what: string): never {
  throw new NeuronLensError(`Vocabulary file ${file}: ${what}`, 'invalid-input');
}

/** Keras stores `word_index` inside `Tokenizer.to_json()` as a JSON string; accept both forms. */
function wordIndexOf(file: string, value: unknown): Map<number, string> {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      bad(file, 'word_index is not valid JSON');
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) bad(file, 'word_index must map tokens to integer ids');
  const byId = new Map<number, string>();
  for (const [token, id] of Object.entries(v as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      bad(file, `word_index gives ${describeValue(token)} the id ${describeValue(id)}`);
    if (!byId.has(id)) byId.set(id, token);
  }
  return byId;
}

function fromKerasTokenizer(file: string, config: Record<string, unknown>): ParsedVocabulary {
  const byId = wordIndexOf(file, config.word_index);
  const notes: string[] = [];
  if (config.lower === true) notes.push('the Keras Tokenizer lower-cased its texts (lower: true): upper-case letters read as <unk>');
  if (typeof config.oov_token === 'string') {
    notes.push(`the Keras OOV token ${describeValue(config.oov_token)} keeps its id; unknown tokens map to id 0 (<unk>), not to it`);
  }
  const level = config.char_level === true ? 'char' : config.char_level === false ? 'word' : undefined;
  return { byId, level, notes, kind: 'keras-tokenizer' };
}

/**
 * Reads a vocabulary file:
 * - a Keras `Tokenizer.to_json()` file (`{"class_name": "Tokenizer", "config": {"word_index": …}}`),
 *   or any JSON object with a `word_index` member, or a bare `{token: id}` object: id i is the
 *   token with `word_index` i; Keras reserves 0 for padding;
 * - a JSON array of strings, or a text file with one token per line: entry i is id i (entry 0 is
 *   the reserved padding / unknown slot, as in Keras `TextVectorization.get_vocabulary()`).
 */
export function parseVocabularyFile(file: string): ParsedVocabulary {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new NeuronLensError(`Vocabulary file not found: ${file}`, 'not-found');
  }
  if (size > MAX_VOCAB_FILE_BYTES) bad(file, `larger than ${MAX_VOCAB_FILE_BYTES / 1048576} MB`);
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      bad(file, `looks like JSON but does not parse (${(e as Error).message})`);
    }
    if (Array.isArray(json)) {
      if (!json.every((t) => typeof t === 'string')) bad(file, 'a JSON vocabulary list must hold strings only');
      return { byId: new Map(json.map((t, i) => [i, t as string])), notes: [], kind: 'list' };
    }
    const o = json as Record<string, unknown>;
    const config = o.config as Record<string, unknown> | undefined;
    if (config && typeof config === 'object' && 'word_index' in config) return fromKerasTokenizer(file, config);
    if ('word_index' in o) return fromKerasTokenizer(file, o);
    return { byId: wordIndexOf(file, o), notes: [], kind: 'word-index' };
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return { byId: new Map(lines.map((t, i) => [i, t])), notes: [], kind: 'list' };
}

/** The token text for an id the vocabulary file does not name: `<unused-i>`, read as unknown. */
export function unnamedToken(id: number): string {
  return `<unused-${id}>`;
}

/**
 * Fits parsed ids to a model's `vocabSize`: id 0 becomes `<unk>` (Keras' padding id), ids the file
 * does not name become `<unused-i>`, ids at or above vocabSize are dropped (Keras `num_words`), and a
 * token named twice keeps its first id.
 */
export function fitVocabulary(parsed: ParsedVocabulary | undefined, vocabSize: number): { tokens: string[]; notes: string[] } {
  const notes = [...(parsed?.notes ?? [])];
  const tokens: string[] = [UNK];
  const seen = new Set<string>([UNK]);
  let missing = 0;
  let duplicates = 0;
  for (let id = 1; id < vocabSize; id++) {
    const t = parsed?.byId.get(id);
    if (t === undefined) {
      missing++;
      tokens.push(unnamedToken(id));
    } else if (seen.has(t)) {
      duplicates++;
      tokens.push(unnamedToken(id));
    } else {
      tokens.push(t);
    }
    seen.add(tokens[id]!);
  }
  if (parsed) {
    let dropped = 0;
    for (const id of parsed.byId.keys()) if (id >= vocabSize) dropped++;
    if (dropped > 0) notes.push(`${dropped} vocabulary entries have ids ≥ the model's vocabulary size ${vocabSize} and are left out`);
    if (missing > 0) notes.push(`${missing} of the model's ${vocabSize - 1} token ids have no vocabulary entry (named <unused-i>)`);
    if (duplicates > 0) notes.push(`${duplicates} vocabulary entries repeat an earlier token or <unk> (named <unused-i>)`);
  }
  return { tokens, notes };
}

/** char when every real token is one code point, else word. */
export function inferLevel(tokens: readonly string[]): TokenLevel {
  const real = tokens.slice(1).filter((t) => !/^<unused-\d+>$/.test(t));
  return real.length > 0 && real.every((t) => [...t].length === 1) ? 'char' : 'word';
}

export function isTokenLevel(x: unknown): x is TokenLevel {
  return TOKEN_LEVELS.includes(x as TokenLevel);
}

/** A classes file names a few labels; anything bigger is not one. */
const MAX_CLASSES_FILE_BYTES = 1024 * 1024;

/**
 * Reads the class names of an imported classifier, in the order of its output units: a JSON list
 * of strings, or a text file with one name per line. Names must be distinct and non-empty, since
 * they are what a prediction reports.
 */
export function parseClassesFile(file: string): string[] {
  const wrong = (what: string): never => {
    throw new NeuronLensError(`Classes file ${file}: ${what}`, 'invalid-input');
  };
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new NeuronLensError(`Classes file not found: ${file}`, 'not-found');
  }
  if (size > MAX_CLASSES_FILE_BYTES) wrong(`larger than ${MAX_CLASSES_FILE_BYTES / 1048576} MB`);
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  let names: string[];
  if (text.trimStart().startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      wrong(`looks like JSON but does not parse (${(e as Error).message})`);
    }
    if (!Array.isArray(json) || !json.every((c) => typeof c === 'string')) wrong('a JSON classes file must be a list of strings');
    names = json as string[];
  } else {
    names = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (names.length > 1 && names[names.length - 1] === '') names.pop();
  }
  if (names.length === 0 || (names.length === 1 && names[0] === '')) wrong('it names no classes');
  if (names.length > LIMITS.maxClasses) wrong(`it names ${names.length} classes, more than ${LIMITS.maxClasses}`);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name.trim() === '' || name.length > LIMITS.maxClassName) {
      wrong(`class ${i + 1} must be a non-empty name of at most ${LIMITS.maxClassName} characters, not ${describeValue(name)}`);
    }
    if (seen.has(name)) wrong(`the class ${describeValue(name)} appears twice`);
    seen.add(name);
  });
  return names;
}
