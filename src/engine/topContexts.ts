import * as fs from 'node:fs';
import * as path from 'node:path';
import { BoundedHeap } from './boundedHeap';
import { DEFAULT_CORPUS, DEFAULT_MAX_TEXT_BYTES, mobyDick, readTextFile } from './corpus';
import { folderFiles } from './folderFiles';
import { NeuronLensError, isNeuronLensError, throwIfAborted } from './errors';
import { createStreamingRunner } from './inference/createRunner';
import type { LanguageModel } from './languageModel';
import type { ModelTokenizer } from './modelTokenizer';
import { resolveComponent, resolveLayer } from './recorder';

/** One place in a corpus where a neuron is at an extreme. */
export interface TopContext {
  value: number;
  /** The document's name: "moby-dick", the file's base name, or its path inside the folder. */
  file: string;
  /** Index of the token within its document. */
  tokenIndex: number;
  /** The token's character offsets in its document (UTF-16, as editors count). */
  start: number;
  end: number;
  token: string;
  /** Up to `window` characters each side of the token, with the token itself. */
  snippet: string;
  /** Character offset in the document where the snippet starts. */
  snippetStart: number;
  /** The token's offsets inside `snippet`, so a view can mark it. */
  markStart: number;
  markEnd: number;
  /**
   * The tokens the snippet shows, in order, with their offsets inside `snippet` (clipped to it)
   * and the neuron's value after each, so a view can colour the context and not only the token.
   */
  snippetTokens: { start: number; end: number; value: number }[];
}

/** A text of the corpus, read only when its turn comes so a folder is never held in memory at once. */
export interface CorpusDocument {
  name: string;
  bytes: number;
  read(): string;
}

export interface TopContextsOptions {
  layer: number;
  component: string;
  neuron: number;
  /** Results per direction (most and least active). */
  k: number;
  /** Characters of context each side of the token. */
  window: number;
  /** Tokens per runner call. */
  chunkSize?: number;
  /** Characters tokenized at a time (default 65,536). */
  segmentChars?: number;
  signal?: AbortSignal;
  onProgress?: (p: TopContextsProgress) => void;
}

export interface TopContextsProgress {
  file: string;
  bytesDone: number;
  totalBytes: number;
  tokensDone: number;
  /** 0–1 over the whole corpus (by bytes; by documents when sizes are unknown). */
  fraction: number;
}

export interface TopContextsResult {
  layer: number;
  component: string;
  neuron: number;
  /** Highest values first. */
  most: TopContext[];
  /** Lowest values first. */
  least: TopContext[];
  tokens: number;
  files: string[];
  /** Documents of a folder that were not text (binary, empty, too large), with the reason. */
  skipped: { file: string; reason: string }[];
  /** The most results either heap ever held: never more than k, whatever the corpus size. */
  maxHeld: number;
}

interface Pending {
  tokenIndex: number;
  start: number;
  end: number;
  value: number;
  snippetStart: number;
  snippetEnd: number;
  alive: boolean;
}

/**
 * The k most extreme tokens of a stream in one direction, no two of whose snippets share a
 * character. A token qualifies when no token whose snippet overlaps its own is more extreme
 * (ties: the earlier wins), a local-peak rule that can be decided once the stream has moved a
 * snippet past it. Greedy suppression (take the best, drop its neighbours, repeat) would need
 * the whole stream, because suppression chains can run arbitrarily far; the local-peak rule never
 * returns overlapping results and needs only the tokens of one snippet span plus a k-item heap.
 */
export class ContextSelector {
  private readonly heap: BoundedHeap<TopContext & { order: number }>;
  private pending: Pending[] = [];
  private head = 0;
  /** Every token (NaN values too) from the earliest unsettled snippet on: what a settled snippet shows. */
  private recent: { start: number; end: number; value: number }[] = [];
  private recentHead = 0;
  private fileName = '';
  private text = '';
  private fileOrder = 0;
  private held = 0;

  constructor(
    readonly k: number,
    readonly window: number,
    readonly direction: 'most' | 'least',
  ) {
    if (!Number.isInteger(k) || k < 1) throw new NeuronLensError(`The number of contexts must be a positive integer, got ${k}`);
    if (!Number.isInteger(window) || window < 0)
      throw new NeuronLensError(`The context window must be a whole number of characters ≥ 0, got ${window}`);
    const sign = direction === 'most' ? 1 : -1;
    this.heap = new BoundedHeap(k, (a, b) => sign * a.value > sign * b.value || (a.value === b.value && a.order < b.order));
  }

  /** The largest number of results held at once so far. */
  get maxHeld(): number {
    return this.held;
  }

  beginFile(name: string, text: string): void {
    this.flush();
    this.recent = [];
    this.recentHead = 0;
    this.fileName = name;
    this.text = text;
    this.fileOrder++;
  }

  /** Tokens must come in document order (ascending offsets). NaN values are ignored. */
  push(tokenIndex: number, start: number, end: number, value: number): void {
    this.recent.push({ start, end, value });
    if (Number.isNaN(value)) return;
    let snippetStart = Math.max(0, start - this.window);
    let snippetEnd = Math.min(this.text.length, end + this.window);
    // Never cut an astral character (emoji) in half at a snippet's edge.
    if (isLowSurrogate(this.text.charCodeAt(snippetStart)) && snippetStart < start) snippetStart++;
    if (isHighSurrogate(this.text.charCodeAt(snippetEnd - 1)) && snippetEnd > end) snippetEnd--;
    // Snippet ends grow with the tokens, so once one no longer reaches this snippet, no later one will.
    while (this.head < this.pending.length && this.pending[this.head]!.snippetEnd <= snippetStart) this.settle(this.pending[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    const x: Pending = { tokenIndex, start, end, value, snippetStart, snippetEnd, alive: true };
    const sign = this.direction === 'most' ? 1 : -1;
    for (let i = this.head; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if (sign * x.value > sign * p.value) p.alive = false;
      else x.alive = false;
    }
    this.pending.push(x);
    // Snippets start in token order, so the earliest unsettled one bounds what must stay.
    const keepFrom = this.pending[this.head]!.snippetStart;
    while (this.recentHead < this.recent.length && this.recent[this.recentHead]!.end <= keepFrom) this.recentHead++;
    if (this.recentHead > 1024 && this.recentHead * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  /** Settles the tokens still waiting at the end of a document. */
  flush(): void {
    for (let i = this.head; i < this.pending.length; i++) this.settle(this.pending[i]!);
    this.pending = [];
    this.head = 0;
  }

  results(): TopContext[] {
    this.flush();
    return this.heap.sorted().map(({ order: _order, ...c }) => c);
  }

  private settle(p: Pending): void {
    if (!p.alive) return;
    // Order: documents, then tokens; ties of value keep the earliest place.
    const candidate = { value: p.value, order: this.fileOrder * 2 ** 32 + p.tokenIndex } as TopContext & { order: number };
    if (!this.heap.wouldKeep(candidate)) return;
    Object.assign(candidate, {
      file: this.fileName,
      tokenIndex: p.tokenIndex,
      start: p.start,
      end: p.end,
      token: this.text.slice(p.start, p.end),
      snippet: this.text.slice(p.snippetStart, p.snippetEnd),
      snippetStart: p.snippetStart,
      markStart: p.start - p.snippetStart,
      markEnd: p.end - p.snippetStart,
      snippetTokens: this.snippetTokens(p.snippetStart, p.snippetEnd),
    });
    this.heap.offer(candidate);
    this.held = Math.max(this.held, this.heap.size);
  }

  private snippetTokens(from: number, to: number): TopContext['snippetTokens'] {
    const out: TopContext['snippetTokens'] = [];
    for (let i = this.recentHead; i < this.recent.length; i++) {
      const t = this.recent[i]!;
      if (t.start >= to) break;
      if (t.end <= from) continue;
      out.push({ start: Math.max(t.start, from) - from, end: Math.min(t.end, to) - from, value: t.value });
    }
    return out;
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Characters tokenized at a time. */
const SEGMENT_CHARS = 1 << 16;

/**
 * Where to end a segment that starts at `from`: just after a line end (or, on a very long line,
 * at a whitespace-to-text boundary) near `from + target`. Both are token boundaries at every
 * token level, so encoding segment by segment gives exactly the tokens of the whole text.
 */
export function segmentEnd(text: string, from: number, target: number): number {
  const at = from + target;
  if (at >= text.length) return text.length;
  const newline = text.indexOf('\n', at);
  if (newline >= 0 && newline - at < 4 * target) return newline + 1;
  const boundary = /\s\S/g;
  boundary.lastIndex = at;
  const m = boundary.exec(text);
  return m ? m.index + 1 : text.length;
}

/**
 * The documents of a corpus: the default corpus (`moby-dick`), one text file, or every file of
 * a folder and its sub-folders in path order (see folderFiles for what is skipped).
 */
export function corpusDocuments(spec: string, maxBytes = DEFAULT_MAX_TEXT_BYTES): CorpusDocument[] {
  if (spec === DEFAULT_CORPUS) {
    return [{ name: DEFAULT_CORPUS, bytes: 0, read: () => mobyDick().text }];
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec);
  } catch {
    throw new NeuronLensError(`Corpus not found: ${spec}`, 'not-found');
  }
  if (!stat.isDirectory()) return [{ name: path.basename(spec), bytes: stat.size, read: () => readTextFile(spec, maxBytes) }];
  const docs: CorpusDocument[] = folderFiles(spec).map((full) => ({
    name: path.relative(spec, full).split(path.sep).join('/'),
    bytes: fs.statSync(full).size,
    read: () => readTextFile(full, maxBytes),
  }));
  if (docs.length === 0) throw new NeuronLensError(`The corpus folder ${spec} has no files`);
  return docs;
}

/**
 * Streams a corpus through the model and keeps, for one neuron, the k snippets where it is most
 * and least active. Each document starts from a zero state (documents are independent texts).
 * Memory: one document's text and tokens, one chunk of activations, the tokens of one snippet
 * span and two k-item heaps; never the recording of the corpus.
 */
export async function topContexts(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  documents: readonly CorpusDocument[],
  options: TopContextsOptions,
): Promise<TopContextsResult> {
  const { model, tokenizer } = loaded;
  const layer = resolveLayer(model, options.layer);
  const component = resolveComponent(model, layer, options.component);
  const units = model.layerUnits(layer);
  const neuron = options.neuron;
  if (!Number.isInteger(neuron) || neuron < 0 || neuron >= units) {
    throw new NeuronLensError(`Neuron ${neuron} does not exist: layer ${layer} has ${units} neurons (0–${units - 1})`);
  }
  const most = new ContextSelector(options.k, options.window, 'most');
  const least = new ContextSelector(options.k, options.window, 'least');
  const runner = createStreamingRunner(model);
  // A model that is not causal reads each file whole, in one segment and one call.
  const causal = runner.causal;
  const chunk = Math.max(1, options.chunkSize ?? 1024);
  const segmentChars = Math.max(1, options.segmentChars ?? SEGMENT_CHARS);
  let out = new Float32Array(chunk * units);
  let sinks = [{ layer, component, out }];
  const totalBytes = documents.reduce((s, d) => s + d.bytes, 0);
  const files: string[] = [];
  const skipped: { file: string; reason: string }[] = [];
  let bytesDone = 0;
  let tokensDone = 0;
  try {
    for (const [docIndex, doc] of documents.entries()) {
      throwIfAborted(options.signal, 'Top contexts');
      let text: string;
      try {
        text = doc.read();
      } catch (e) {
        // In a folder, one non-text file should not sink the rest; a single file's problem is the user's answer.
        if (documents.length > 1 && isNeuronLensError(e)) {
          skipped.push({ file: doc.name, reason: e.message });
          bytesDone += doc.bytes;
          continue;
        }
        throw e;
      }
      most.beginFile(doc.name, text);
      least.beginFile(doc.name, text);
      const state = runner.zeroState();
      let tokenIndex = 0;
      // Tokenized a segment at a time, so a long file never has all its token objects alive at once.
      for (let from = 0; from < text.length;) {
        const to = causal ? segmentEnd(text, from, segmentChars) : text.length;
        const { tokens, ids } = tokenizer.encode(text.slice(from, to));
        const step = causal ? chunk : Math.max(1, ids.length);
        if (step * units > out.length) {
          out = new Float32Array(step * units);
          sinks = [{ layer, component, out }];
        }
        for (let s = 0; s < ids.length; s += step) {
          const e = Math.min(ids.length, s + step);
          runner.run(ids.subarray(s, e), state, sinks, 0);
          for (let t = s; t < e; t++) {
            const v = out[(t - s) * units + neuron]!;
            const token = tokens[t]!;
            most.push(tokenIndex, from + token.start, from + token.end, v);
            least.push(tokenIndex, from + token.start, from + token.end, v);
            tokenIndex++;
          }
          tokensDone += e - s;
          const within = (from + (tokens[e - 1]?.end ?? 0)) / text.length;
          options.onProgress?.({
            file: doc.name,
            bytesDone: bytesDone + Math.round(doc.bytes * within),
            totalBytes,
            tokensDone,
            fraction: totalBytes > 0 ? (bytesDone + doc.bytes * within) / totalBytes : (docIndex + within) / documents.length,
          });
          // Let a cancel arrive between chunks.
          await new Promise((resolve) => setImmediate(resolve));
          throwIfAborted(options.signal, 'Top contexts');
        }
        from = to;
      }
      bytesDone += doc.bytes;
      files.push(doc.name);
    }
  } finally {
    runner.dispose();
  }
  if (files.length === 0) {
    throw new NeuronLensError(`No text in the corpus: ${skipped.map((s) => s.reason).join('; ')}`);
  }
  return {
    layer,
    component,
    neuron,
    most: most.results(),
    least: least.results(),
    tokens: tokensDone,
    files,
    skipped,
    maxHeld: Math.max(most.maxHeld, least.maxHeld),
  };
}
