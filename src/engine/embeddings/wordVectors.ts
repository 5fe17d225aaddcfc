import * as fs from 'node:fs';
import { NeuronLensError } from '../errors';
import { describeValue } from '../../shared/errors';
import { writeFileAtomicSync } from '../../shared/atomicWrite';

/**
 * Word vectors in the formats other tools exchange them in: word2vec text (a "count dim" header,
 * then one "word v1 ... vdim" line per word), GloVe text (the same lines without the header) and
 * word2vec binary (the header, then per word its UTF-8 bytes, a space and dim little-endian
 * float32s, usually followed by a newline).
 */
export interface WordVectors {
  words: string[];
  dim: number;
  /** words.length × dim, row-major */
  vectors: Float32Array;
}

export type WordVectorsFormat = 'word2vec-text' | 'word2vec-binary';
export const WORD_VECTORS_FORMATS: readonly WordVectorsFormat[] = ['word2vec-text', 'word2vec-binary'];

export interface ReadWordVectorsOptions {
  /** Files with more words are refused. */
  maxWords?: number;
  /** Larger files are refused before they are read. */
  maxBytes?: number;
}

/** Enough for the common pre-trained sets (GloVe 6B 300d is ~1 GB of text), while refusing what would exhaust memory. */
export const DEFAULT_MAX_VECTOR_BYTES = 2 * 1024 * 1024 * 1024 - 1;
export const DEFAULT_MAX_WORDS = 3_000_000;
/** A dimension far above any real embedding is a corrupt header, not a model. */
const MAX_DIM = 10_000;

/** word2vec text (header "count dim"), GloVe text (no header) and word2vec binary, detected from the bytes. */
export function readWordVectors(file: string, options: ReadWordVectorsOptions = {}): WordVectors {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_VECTOR_BYTES;
  const maxWords = options.maxWords ?? DEFAULT_MAX_WORDS;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new NeuronLensError(`Word vectors file not found: ${file}`, 'not-found');
  }
  if (stat.isDirectory()) throw new NeuronLensError(`${file} is a folder, not a word vectors file`);
  if (stat.size > maxBytes) {
    throw new NeuronLensError(`Word vectors file ${file} is ${formatBytes(stat.size)}, more than the ${formatBytes(maxBytes)} limit`);
  }
  return parseWordVectors(fs.readFileSync(file), file, maxWords);
}

/** Parses the bytes of a vectors file; `label` names it in error messages. */
export function parseWordVectors(bytes: Uint8Array, label: string, maxWords = DEFAULT_MAX_WORDS): WordVectors {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length && isSpace(bytes[start]!)) start++;
  if (start >= bytes.length) throw new NeuronLensError(`Word vectors file ${label} is empty`);
  const firstEnd = lineEnd(bytes, start);
  const header = /^\s*(\d+)\s+(\d+)\s*$/.exec(new TextDecoder().decode(bytes.subarray(start, firstEnd)));
  if (!header) return parseText(bytes, start, label, undefined, maxWords);
  const count = Number(header[1]);
  const dim = Number(header[2]);
  if (count < 1 || dim < 1 || dim > MAX_DIM) {
    throw new NeuronLensError(
      `Word vectors file ${label} has an invalid header "${header[1]} ${header[2]}" (expected "count dim", dim ≤ ${MAX_DIM})`,
    );
  }
  if (count > maxWords) throw new NeuronLensError(`Word vectors file ${label} has ${count} words, more than the limit of ${maxWords}`);
  const bodyStart = firstEnd + 1;
  return looksLikeTextRow(bytes, bodyStart, dim)
    ? parseText(bytes, bodyStart, label, { count, dim }, maxWords)
    : parseBinary(bytes, bodyStart, label, count, dim);
}

/**
 * A text file's first row after the header is a word and `dim` numbers; a binary file's first
 * "line" holds raw float bytes, which essentially never decode to exactly `dim` numbers.
 */
function looksLikeTextRow(bytes: Uint8Array, from: number, dim: number): boolean {
  if (from >= bytes.length) return true; // header only: the text parser reports the missing rows
  const end = lineEnd(bytes, from);
  const fields = new TextDecoder()
    .decode(bytes.subarray(from, end))
    .trim()
    .split(/[ \t]+/);
  return fields.length === dim + 1 && fields.slice(1).every((f) => Number.isFinite(Number(f)));
}

function parseText(
  bytes: Uint8Array,
  from: number,
  label: string,
  header: { count: number; dim: number } | undefined,
  maxWords: number,
): WordVectors {
  // Line numbers in messages count the header, as an editor would show them.
  const firstLine = 1 + countNewlines(bytes, 0, from);
  if (header && header.count * header.dim * 2 > bytes.length - from + 1) {
    throw new NeuronLensError(
      `Word vectors file ${label}: the header says ${header.count} words of ${header.dim} values, more than the file can hold`,
    );
  }
  let dim = header?.dim ?? 0;
  const words: string[] = [];
  const firstSeen = new Map<string, number>();
  let vectors: Float32Array = new Float32Array(header ? header.count * header.dim : 0);
  let rows = 0;
  // Decoded a line at a time: a large file as one string would pass V8's maximum string length.
  const decoder = new TextDecoder('utf-8');
  let lineNo = firstLine - 1;
  for (let lineStart = from; lineStart < bytes.length;) {
    const end = lineEnd(bytes, lineStart);
    const line = decoder.decode(bytes.subarray(lineStart, end)).trim();
    lineStart = end + 1;
    lineNo++;
    if (line.length === 0) continue;
    const fields = line.split(/[ \t]+/);
    const word = fields[0]!;
    if (dim === 0) {
      dim = fields.length - 1;
      if (dim < 1) throw new NeuronLensError(`Word vectors file ${label}, line ${lineNo}: ${describeValue(word)} has no numbers after it`);
      if (dim > MAX_DIM)
        throw new NeuronLensError(`Word vectors file ${label}, line ${lineNo}: ${dim} values is more than the ${MAX_DIM} allowed`);
    }
    if (fields.length - 1 !== dim) {
      throw new NeuronLensError(
        `Word vectors file ${label}, line ${lineNo}: ${describeValue(word)} has ${fields.length - 1} values, expected ${dim}${header ? ' (from the header)' : ' (from the first row)'}`,
      );
    }
    if (header && rows >= header.count) {
      throw new NeuronLensError(
        `Word vectors file ${label}: the header says ${header.count} words but there are more rows (line ${lineNo})`,
      );
    }
    if (rows >= maxWords) throw new NeuronLensError(`Word vectors file ${label} has more than the limit of ${maxWords} words`);
    const earlier = firstSeen.get(word);
    if (earlier !== undefined) {
      throw new NeuronLensError(
        `Word vectors file ${label}, line ${lineNo}: duplicate word ${describeValue(word)} (first on line ${earlier})`,
      );
    }
    firstSeen.set(word, lineNo);
    if (!header && (rows + 1) * dim > vectors.length) vectors = grow(vectors, Math.max(1024 * dim, vectors.length * 2));
    for (let d = 0; d < dim; d++) {
      const v = Number(fields[d + 1]);
      if (!Number.isFinite(v)) {
        throw new NeuronLensError(
          `Word vectors file ${label}, line ${lineNo}: value ${d + 1} of ${describeValue(word)} is not a number: ${describeValue(fields[d + 1])}`,
        );
      }
      vectors[rows * dim + d] = v;
    }
    words.push(word);
    rows++;
  }
  if (rows === 0) throw new NeuronLensError(`Word vectors file ${label} has no vectors${header ? ' after its header' : ''}`);
  if (header && rows !== header.count) {
    throw new NeuronLensError(`Word vectors file ${label}: the header says ${header.count} words but there are ${rows} rows`);
  }
  return { words, dim, vectors: vectors.length === rows * dim ? vectors : vectors.slice(0, rows * dim) };
}

function parseBinary(bytes: Uint8Array, from: number, label: string, count: number, dim: number): WordVectors {
  const rowBytes = dim * 4;
  // Each row is at least one word byte, a space and its floats; a header promising more than the file can hold is refused before allocating.
  if (count * (rowBytes + 2) > bytes.length - from + 1) {
    const possible = Math.floor((bytes.length - from + 1) / (rowBytes + 2));
    throw new NeuronLensError(
      `Word vectors file ${label} is truncated: the header says ${count} words of ${dim} values, the file holds at most ${possible}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8');
  const words: string[] = [];
  const firstSeen = new Map<string, number>();
  const vectors = new Float32Array(count * dim);
  let pos = from;
  for (let r = 0; r < count; r++) {
    while (pos < bytes.length && (bytes[pos] === 0x0a || bytes[pos] === 0x0d)) pos++;
    const wordStart = pos;
    while (pos < bytes.length && bytes[pos] !== 0x20) pos++;
    if (pos >= bytes.length || pos + 1 + rowBytes > bytes.length) {
      throw new NeuronLensError(`Word vectors file ${label} is truncated in word ${r + 1} of ${count}`);
    }
    const word = decoder.decode(bytes.subarray(wordStart, pos));
    if (word.length === 0) throw new NeuronLensError(`Word vectors file ${label}: word ${r + 1} of ${count} is empty`);
    const earlier = firstSeen.get(word);
    if (earlier !== undefined) {
      throw new NeuronLensError(`Word vectors file ${label}: duplicate word ${describeValue(word)} (words ${earlier} and ${r + 1})`);
    }
    firstSeen.set(word, r + 1);
    pos++;
    for (let d = 0; d < dim; d++) {
      const v = view.getFloat32(pos + 4 * d, true);
      if (!Number.isFinite(v))
        throw new NeuronLensError(`Word vectors file ${label}: value ${d + 1} of ${describeValue(word)} is not a finite number`);
      vectors[r * dim + d] = v;
    }
    pos += rowBytes;
    words.push(word);
  }
  while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
  if (pos < bytes.length)
    throw new NeuronLensError(`Word vectors file ${label}: the header says ${count} words but more data follows them`);
  return { words, dim, vectors };
}

/** Writes the vectors atomically, so a reader never sees a half-written file and a failed write loses nothing. */
export function writeWordVectors(file: string, v: WordVectors, format: WordVectorsFormat): void {
  checkWordVectors(v, file);
  const n = v.words.length;
  if (format === 'word2vec-text') {
    const lines = [`${n} ${v.dim}`];
    for (let r = 0; r < n; r++) {
      const row = new Array<string>(v.dim);
      for (let d = 0; d < v.dim; d++) row[d] = float32Text(v.vectors[r * v.dim + d]!);
      lines.push(`${v.words[r]} ${row.join(' ')}`);
    }
    writeFileAtomicSync(file, lines.join('\n') + '\n');
    return;
  }
  if (format !== 'word2vec-binary')
    throw new NeuronLensError(`Unknown word vectors format ${describeValue(format)}; use ${WORD_VECTORS_FORMATS.join(' or ')}`);
  const encoder = new TextEncoder();
  const encodedWords = v.words.map((w) => encoder.encode(w));
  const headerBytes = encoder.encode(`${n} ${v.dim}\n`);
  const total = headerBytes.length + encodedWords.reduce((s, w) => s + w.length + 2 + v.dim * 4, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(headerBytes, 0);
  let pos = headerBytes.length;
  for (let r = 0; r < n; r++) {
    const w = encodedWords[r]!;
    out.set(w, pos);
    pos += w.length;
    out[pos++] = 0x20;
    for (let d = 0; d < v.dim; d++, pos += 4) view.setFloat32(pos, v.vectors[r * v.dim + d]!, true);
    out[pos++] = 0x0a;
  }
  writeFileAtomicSync(file, out);
}

/** Words must be writable in every format: non-empty, no whitespace, unique; one finite row per word. */
export function checkWordVectors(v: WordVectors, label: string): void {
  if (!Number.isInteger(v.dim) || v.dim < 1)
    throw new NeuronLensError(`Word vectors for ${label}: dimension must be a positive integer, got ${describeValue(v.dim)}`);
  if (v.words.length === 0) throw new NeuronLensError(`Word vectors for ${label}: there are no words`);
  if (v.vectors.length !== v.words.length * v.dim) {
    throw new NeuronLensError(`Word vectors for ${label}: ${v.vectors.length} values for ${v.words.length} words of ${v.dim}`);
  }
  const seen = new Set<string>();
  for (const w of v.words) {
    if (w.length === 0 || /\s/.test(w))
      throw new NeuronLensError(`Word vectors for ${label}: word ${describeValue(w)} is empty or contains whitespace`);
    if (seen.has(w)) throw new NeuronLensError(`Word vectors for ${label}: duplicate word ${describeValue(w)}`);
    seen.add(w);
  }
  for (let i = 0; i < v.vectors.length; i++) {
    if (!Number.isFinite(v.vectors[i]))
      throw new NeuronLensError(`Word vectors for ${label}: the vector of ${describeValue(v.words[Math.floor(i / v.dim)])} is not finite`);
  }
}

/** Nine significant digits always read back as the same float32 (word2vec.c's %lf loses small values). */
function float32Text(x: number): string {
  return String(Number(x.toPrecision(9)));
}

function grow(a: Float32Array, size: number): Float32Array {
  const b = new Float32Array(size);
  b.set(a);
  return b;
}

function lineEnd(bytes: Uint8Array, from: number): number {
  const i = bytes.indexOf(0x0a, from);
  return i < 0 ? bytes.length : i;
}

function countNewlines(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function formatBytes(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${n} bytes`;
}
