import { NeuronLensError } from './errors';
import type { RecordingIndex } from './recordingIndex';
import type { Token } from './tokenizer';

/**
 * "More like this" (LSTMVis's match view): the on/off pattern of chosen neurons over a query span
 * is compared with every span of the same length in the indexed texts.
 *
 * Similarity is the Jaccard index of the two patterns' on-bits: |Q ∧ W| / |Q ∨ W| over
 * (neuron, offset) cells, 1 for an identical pattern. Off/off agreement is deliberately not
 * counted (Hamming distance would count it): most neurons are off most of the time, so with
 * Hamming every quiet stretch of text would rank as well as a real match. Spans must have the
 * query's length (LSTMVis's length tolerance is left out: shifted and stretched variants show up
 * as overlapping windows, which are suppressed below). Results never overlap the query or each
 * other: a span is dropped when it overlaps a better-ranked one in the same text, since a match
 * shifted by a token is the same match. Ties rank by text order, then position.
 */

export interface SearchDocument {
  name: string;
  tokens: readonly Token[];
  index: RecordingIndex;
}

export interface PatternQuery {
  /** The text the span is in; when it is also one of the searched documents (same object), the span itself is excluded. */
  document: SearchDocument;
  /** Token range [from, to). */
  from: number;
  to: number;
  neurons: readonly number[];
}

export interface SpanPreview {
  before: string;
  match: string;
  after: string;
}

export interface SpanMatch {
  /** Position in the searched documents. */
  document: number;
  name: string;
  /** Token range [from, to). */
  from: number;
  to: number;
  /** Character range [start, end) in the document. */
  start: number;
  end: number;
  /** Jaccard similarity of on-bits, in (0, 1]. */
  score: number;
  /** On-bits the span shares with the query, and on-bits in either. */
  shared: number;
  union: number;
  preview: SpanPreview;
  /** Per token of the span, the fraction of the chosen neurons that are on (for colouring). */
  onFraction: number[];
}

export interface PatternSearchResult {
  neurons: number[];
  threshold: number;
  /** The query span's tokens, text and pattern. */
  query: { from: number; to: number; start: number; end: number; text: string; on: number; onFraction: number[] };
  /** Spans compared (windows of the query's length). */
  windows: number;
  matches: SpanMatch[];
}

export interface PatternSearchOptions {
  /** How many matches to return (default 10). */
  top?: number;
  /** Characters of context on each side of a preview (default 30). */
  previewChars?: number;
}

export function searchPattern(
  documents: readonly SearchDocument[],
  query: PatternQuery,
  options: PatternSearchOptions = {},
): PatternSearchResult {
  const top = options.top ?? 10;
  if (!Number.isInteger(top) || top < 1) throw new NeuronLensError(`The number of matches must be a positive integer, not ${top}`);
  const { document: qd, from, to } = query;
  checkSpan(qd, from, to);
  const neurons = checkNeurons(qd.index, query.neurons);
  for (const d of [qd, ...documents]) {
    if (d.index.units !== qd.index.units || d.index.threshold !== qd.index.threshold) {
      throw new NeuronLensError(
        `${d.name} was indexed with ${d.index.units} neurons at threshold ${d.index.threshold}, the query with ${qd.index.units} at ${qd.index.threshold}`,
      );
    }
    if (d.tokens.length !== d.index.tokenCount) {
      throw new NeuronLensError(`${d.name} has ${d.tokens.length} tokens but its index has ${d.index.tokenCount}`);
    }
  }

  const length = to - from;
  const on: { neuron: number; offset: number }[] = [];
  const off: { neuron: number; offset: number }[] = [];
  for (const neuron of neurons) {
    for (let j = 0; j < length; j++) (qd.index.isOn(neuron, from + j) ? on : off).push({ neuron, offset: j });
  }
  if (on.length === 0) {
    throw new NeuronLensError(
      `None of the chosen neurons (${neurons.join(', ')}) is on (above ${qd.index.threshold}) anywhere in the query span: lower the threshold or choose other neurons`,
    );
  }

  // Greedy suppression examines at most top × (2·length − 1) spans in rank order: each kept span
  // hides at most 2·length − 2 overlapping ones.
  const best = new TopSpans(top * (2 * length - 1));
  let windows = 0;
  documents.forEach((d, di) => {
    const excluded = d === qd ? { from, to } : undefined;
    windows += scanDocument(d.index, on, off, length, (p, shared, extra) => {
      if (excluded && p < excluded.to && p + length > excluded.from) return;
      const score = shared / (on.length + extra);
      // Spans arrive in rank order's tie order, so one no better than the worst kept never enters.
      if (score > best.worstScore) best.offer({ document: di, from: p, shared, union: on.length + extra, score });
    });
  });

  const kept: Candidate[] = [];
  for (const c of best.ranked()) {
    if (kept.some((k) => k.document === c.document && c.from < k.from + length && c.from + length > k.from)) continue;
    kept.push(c);
    if (kept.length === top) break;
  }
  const previewChars = options.previewChars ?? 30;
  return {
    neurons,
    threshold: qd.index.threshold,
    query: {
      from,
      to,
      start: qd.tokens[from]!.start,
      end: qd.tokens[to - 1]!.end,
      text: tokenText(qd.tokens, from, to),
      on: on.length,
      onFraction: onFraction(qd.index, neurons, from, to),
    },
    windows,
    matches: kept.map((c) => {
      const d = documents[c.document]!;
      return {
        document: c.document,
        name: d.name,
        from: c.from,
        to: c.from + length,
        start: d.tokens[c.from]!.start,
        end: d.tokens[c.from + length - 1]!.end,
        score: c.score,
        shared: c.shared,
        union: c.union,
        preview: preview(d.tokens, c.from, c.from + length, previewChars),
        onFraction: onFraction(d.index, neurons, c.from, c.from + length),
      };
    }),
  };
}

/**
 * For every window start p, counts the on-bits it shares with the query (`on` cells) and its
 * on-bits where the query is off (`off` cells), 32 windows at a time: each cell's bits for 32
 * consecutive starts are one shifted word, summed into bit-sliced counters (slice i holds bit i of
 * 32 counts). Calls `found` for windows sharing at least one on-bit; returns the windows scanned.
 */
function scanDocument(
  index: RecordingIndex,
  on: readonly { neuron: number; offset: number }[],
  off: readonly { neuron: number; offset: number }[],
  length: number,
  found: (p: number, shared: number, extra: number) => void,
): number {
  const windows = index.tokenCount - length + 1;
  if (windows <= 0) return 0;
  const onCells = cells(index, on);
  const offCells = cells(index, off);
  const sharedSlices = new Int32Array(bitWidth(on.length));
  const extraSlices = new Int32Array(bitWidth(off.length));
  const blocks = (windows + 31) >>> 5;
  for (let w = 0; w < blocks; w++) {
    sharedSlices.fill(0);
    addCells(sharedSlices, onCells, w);
    let any = 0;
    for (let i = 0; i < sharedSlices.length; i++) any |= sharedSlices[i]!;
    // Starts past the last whole window read bits beyond the text (zeros) and are not spans.
    if (w === blocks - 1 && (windows & 31) !== 0) any &= (1 << (windows & 31)) - 1;
    if (any === 0) continue;
    extraSlices.fill(0);
    addCells(extraSlices, offCells, w);
    while (any !== 0) {
      const low = any & -any;
      const b = 31 - Math.clz32(low);
      any ^= low;
      found((w << 5) + b, countAt(sharedSlices, b), countAt(extraSlices, b));
    }
  }
  return windows;
}

interface Cells {
  words: Uint32Array[];
  /** Word and bit offset of each cell's token within the span. */
  word: Int32Array;
  shift: Int32Array;
}

function cells(index: RecordingIndex, list: readonly { neuron: number; offset: number }[]): Cells {
  return {
    words: list.map((c) => index.words(c.neuron)),
    word: Int32Array.from(list, (c) => c.offset >>> 5),
    shift: Int32Array.from(list, (c) => c.offset & 31),
  };
}

/**
 * Adds each cell's bits for the 32 window starts of block w to 32 bit-sliced counters (slice i
 * holds bit i of each count): a ripple-carry adder applied to 32 lanes at once.
 */
function addCells(slices: Int32Array, c: Cells, w: number): void {
  const n = c.words.length;
  const depth = slices.length;
  for (let k = 0; k < n; k++) {
    const words = c.words[k]!;
    const at = w + c.word[k]!;
    const s = c.shift[k]!;
    let carry = s === 0 ? words[at]! : (words[at]! >>> s) | (words[at + 1]! << (32 - s));
    for (let i = 0; carry !== 0 && i < depth; i++) {
      const next = slices[i]! & carry;
      slices[i] = slices[i]! ^ carry;
      carry = next;
    }
  }
}

function countAt(slices: Int32Array, lane: number): number {
  let n = 0;
  for (let i = 0; i < slices.length; i++) n |= ((slices[i]! >>> lane) & 1) << i;
  return n;
}

function bitWidth(max: number): number {
  return Math.max(1, 32 - Math.clz32(max));
}

interface Candidate {
  document: number;
  from: number;
  shared: number;
  union: number;
  score: number;
}

/** a ranks before b: higher score, then earlier document, then earlier position. */
function before(a: Candidate, b: Candidate): boolean {
  if (a.score !== b.score) return a.score > b.score;
  return a.document !== b.document ? a.document < b.document : a.from < b.from;
}

/** The best `capacity` candidates seen, in a binary heap whose root is the worst kept. */
class TopSpans {
  private readonly heap: Candidate[] = [];

  constructor(private readonly capacity: number) {}

  /** The score a span must beat to be kept (−1 while there is room). */
  get worstScore(): number {
    return this.heap.length < this.capacity ? -1 : this.heap[0]!.score;
  }

  offer(c: Candidate): void {
    const h = this.heap;
    if (h.length < this.capacity) {
      h.push(c);
      this.up(h.length - 1);
    } else if (before(c, h[0]!)) {
      h[0] = c;
      this.down(0);
    }
  }

  ranked(): Candidate[] {
    return [...this.heap].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[parent]!, h[i]!)) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && before(h[worst]!, h[l]!)) worst = l;
      if (r < h.length && before(h[worst]!, h[r]!)) worst = r;
      if (worst === i) return;
      [h[worst], h[i]] = [h[i]!, h[worst]!];
      i = worst;
    }
  }
}

/**
 * Neurons for a query when the user names none (LSTMVis's selection: on inside the span, off
 * around it): ranked by the fraction of span tokens they are on minus the fraction of the span's
 * length of tokens on either side they are on; ties by neuron number.
 */
export function proposeNeurons(document: SearchDocument, from: number, to: number, count = 5): number[] {
  checkSpan(document, from, to);
  const { index } = document;
  const length = to - from;
  const around = Math.max(0, from - length);
  const after = Math.min(index.tokenCount, to + length);
  const contextTokens = from - around + (after - to);
  const scored: { neuron: number; score: number }[] = [];
  for (let n = 0; n < index.units; n++) {
    const inside = index.countOn(n, from, to) / length;
    const outside = contextTokens ? (index.countOn(n, around, from) + index.countOn(n, to, after)) / contextTokens : 0;
    if (inside - outside > 0) scored.push({ neuron: n, score: inside - outside });
  }
  if (scored.length === 0) {
    throw new NeuronLensError(
      `No neuron is on (above ${index.threshold}) more inside tokens ${from}–${to} of ${document.name} than around them: name neurons or lower the threshold`,
    );
  }
  scored.sort((a, b) => b.score - a.score || a.neuron - b.neuron);
  return scored.slice(0, count).map((s) => s.neuron);
}

/** Tokens overlapping the characters [start, end): how an editor selection becomes a query span. */
export function tokenSpanOfChars(
  document: { name: string; tokens: readonly Token[] },
  start: number,
  end: number,
): { from: number; to: number } {
  const { tokens, name } = document;
  const length = tokens.length ? tokens[tokens.length - 1]!.end : 0;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > length || start >= end) {
    throw new NeuronLensError(`The selection ${start}–${end} is not a non-empty character range inside ${name} (0–${length})`);
  }
  let from = 0;
  while (tokens[from]!.end <= start) from++;
  let to = from;
  while (to < tokens.length && tokens[to]!.start < end) to++;
  return { from, to };
}

function checkSpan(document: SearchDocument, from: number, to: number): void {
  const n = document.index.tokenCount;
  if (!Number.isInteger(from) || !Number.isInteger(to))
    throw new NeuronLensError(`The query span ${from}–${to} must be whole token positions`);
  if (to <= from) throw new NeuronLensError(`The query span ${from}–${to} of ${document.name} is empty: select at least one token`);
  if (from < 0 || to > n) throw new NeuronLensError(`The query span ${from}–${to} is outside ${document.name}, which has ${n} tokens`);
}

function checkNeurons(index: RecordingIndex, neurons: readonly number[]): number[] {
  if (neurons.length === 0) throw new NeuronLensError('Choose at least one neuron whose on/off pattern to search for');
  for (const n of neurons) index.checkNeuron(n);
  return [...new Set(neurons)].sort((a, b) => a - b);
}

function onFraction(index: RecordingIndex, neurons: readonly number[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t++) out.push(neurons.filter((n) => index.isOn(n, t)).length / neurons.length);
  return out;
}

function tokenText(tokens: readonly Token[], from: number, to: number): string {
  let s = '';
  for (let t = from; t < to; t++) s += tokens[t]!.text;
  return s;
}

function preview(tokens: readonly Token[], from: number, to: number, chars: number): SpanPreview {
  let before = '';
  for (let t = from - 1; t >= 0 && before.length < chars; t--) before = tokens[t]!.text + before;
  let after = '';
  for (let t = to; t < tokens.length && after.length < chars; t++) after += tokens[t]!.text;
  return { before, match: tokenText(tokens, from, to), after };
}
