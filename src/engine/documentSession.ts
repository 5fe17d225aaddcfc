import type { AnalyzeParams, AnalyzeResult } from '../shared/protocol';
import type { ValueRange } from './cells/recurrentCell';
import { CancelledError, throwIfAborted } from './errors';
import type { StreamingRunner } from './inference/streamingRunner';
import type { LanguageModel } from './languageModel';
import type { ModelTokenizer } from './modelTokenizer';
import { resolveComponent, resolveLayer } from './recorder';
import { requireInteger, requireString } from './requestChecks';
import type { Token } from './tokenizer';

/** The model a document is recorded with; `id` changes whenever another model becomes active. */
export interface RecordingModel {
  readonly id: number;
  readonly model: LanguageModel;
  readonly tokenizer: ModelTokenizer;
  readonly runner: StreamingRunner;
}

/**
 * Tokens between snapshots of the recurrent state, and the length of every runner call. Calls
 * cover whole blocks [k·64, (k+1)·64) (the last one cut at the end of the text) and a partial
 * block is never kept, so every value comes from the same call, with the same start state, as in
 * an analysis from scratch: a backend whose rounding depends on a call's length or start cannot
 * make a cached value differ from a fresh one, not even in the last bit.
 */
export const SNAPSHOT_INTERVAL = 64;
/** Tokens computed between yields to the event loop, where cancel messages are received. */
const TOKENS_PER_YIELD = 256;

/**
 * One document's causal cache. A recurrent model's values at token t depend only on tokens ≤ t,
 * so after an edit the values before the first changed token stay valid, and the state needed to
 * continue from there is restored from the latest snapshot at or before it. Holds the values of
 * one (layer, component) for the tokens computed so far. A model that is not causal (a
 * bidirectional layer, only in classifiers) changes every token's values with any edit: its
 * document, cut to the classifier's maxTokens, is recomputed whole in one runner call, and only an
 * unchanged text is answered from the cache.
 */
export class DocumentSession {
  private modelId = -1;
  private layerIndex = -1;
  private componentId = '';
  private valueRange: ValueRange = 'unbounded';
  private width = 0;
  private tokenList: Token[] = [];
  private done = 0;
  /** tokens × units, row-major; rows beyond `done` are scratch. Grown geometrically, so typing does not reallocate. */
  private buffer = new Float32Array(0);
  /** snapshots[b] is the full state after SNAPSHOT_INTERVAL·b tokens; always floor(done / SNAPSHOT_INTERVAL) + 1 of them. */
  private snapshots: Float32Array[] = [];

  constructor(readonly docId: string) {}

  /** The model whose values are cached (−1 before the first analysis). */
  get analysedWith(): number {
    return this.modelId;
  }

  get layer(): number {
    return this.layerIndex;
  }

  get component(): string {
    return this.componentId;
  }

  get range(): ValueRange {
    return this.valueRange;
  }

  get units(): number {
    return this.width;
  }

  /** Tokens of the analysed (truncated) text. */
  get tokens(): readonly Token[] {
    return this.tokenList;
  }

  /** Tokens whose values are known: a prefix of `tokens`. */
  get computed(): number {
    return this.done;
  }

  /** Values of the computed tokens, computed × units (a view: copy it before handing it out). */
  get values(): Float32Array {
    return this.buffer.subarray(0, this.done * this.width);
  }

  /**
   * Brings the cache up to date with `params.text` and computes tokens up to `untilOffset` (or all
   * of them, within maxTokens). Cancelled calls leave a consistent cache: the new text's tokens
   * with the prefix computed so far, which the next call continues.
   */
  async analyze(m: RecordingModel, params: AnalyzeParams, signal?: AbortSignal): Promise<AnalyzeResult> {
    const text = requireString(params.text, 'text');
    const maxTokens = requireInteger(params.maxTokens, 'maxTokens', 1);
    const untilOffset = params.untilOffset === undefined ? undefined : requireInteger(params.untilOffset, 'untilOffset', 0);
    const layer = resolveLayer(m.model, params.layer);
    const component = resolveComponent(m.model, layer, requireString(params.component, 'component'));
    throwIfAborted(signal, 'Analysis');

    if (m.id !== this.modelId || layer !== this.layerIndex || component !== this.componentId) this.reset(m, layer, component);
    const encoded = m.tokenizer.encode(text);
    const total = encoded.tokens.length;
    // Only classifiers are not causal: their values are what classifying the document computes,
    // over the tokens the classifier reads (which also bounds the whole-text recomputes).
    const arch = m.model.architecture;
    const limit = !m.runner.causal && arch.task === 'classifier' ? Math.min(maxTokens, arch.maxTokens) : maxTokens;
    const n = Math.min(total, limit);
    const tokens = n < total ? encoded.tokens.slice(0, n) : encoded.tokens;
    const ids = encoded.ids.subarray(0, n);

    const same = commonPrefix(this.tokenList, tokens);
    const unchanged = same === this.tokenList.length && same === n;
    const causal = m.runner.causal;
    // A partial block is recomputed from its start rather than kept (see SNAPSHOT_INTERVAL).
    const keep = unchanged ? this.done : causal ? alignDown(Math.min(same, this.done)) : 0;
    this.tokenList = tokens;
    this.done = keep;
    this.snapshots.length = causal ? Math.floor(keep / SNAPSHOT_INTERVAL) + 1 : 1;
    this.reserve(n, keep, limit);

    const target = untilOffset === undefined || !causal ? n : Math.min(n, alignUp(tokenEndingAfter(tokens, untilOffset) + 1));
    try {
      await this.compute(m.runner, ids, target, signal);
    } catch (e) {
      // After a failure other than a cancel the cache cannot be trusted; start afresh next time.
      if (!(e instanceof CancelledError)) this.reset(m, layer, component);
      throw e;
    }
    return {
      docId: this.docId,
      version: params.version,
      modelId: m.id,
      units: this.width,
      starts: Int32Array.from(tokens, (t) => t.start),
      ends: Int32Array.from(tokens, (t) => t.end),
      computed: this.done,
      recomputedFrom: keep,
      truncated: n < total,
      totalTokens: total,
    };
  }

  private async compute(runner: StreamingRunner, ids: Int32Array, target: number, signal?: AbortSignal): Promise<void> {
    if (this.done >= target) return;
    const state = this.snapshots[this.snapshots.length - 1]!.slice();
    const sinks = [{ layer: this.layerIndex, component: this.componentId, out: this.buffer }];
    if (!runner.causal) {
      runner.run(ids, state, sinks, 0);
      this.done = ids.length;
      return;
    }
    let sinceYield = 0;
    while (this.done < target) {
      const start = this.done;
      const end = Math.min(ids.length, start + SNAPSHOT_INTERVAL);
      runner.run(ids.subarray(start, end), state, sinks, start);
      this.done = end;
      if (end - start === SNAPSHOT_INTERVAL) this.snapshots.push(state.slice());
      sinceYield += end - start;
      if (this.done < target && sinceYield >= TOKENS_PER_YIELD) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        throwIfAborted(signal, 'Analysis');
      }
    }
  }

  private reset(m: RecordingModel, layer: number, component: string): void {
    this.modelId = m.id;
    this.layerIndex = layer;
    this.componentId = component;
    this.width = m.runner.layerUnits[layer]!;
    this.valueRange = m.runner.components(layer).find((c) => c.id === component)!.range;
    this.tokenList = [];
    this.done = 0;
    this.buffer = new Float32Array(0);
    this.snapshots = [m.runner.zeroState()];
  }

  /** Room for n rows, keeping the first `keep`; shrinks when the document got much shorter. */
  private reserve(n: number, keep: number, maxTokens: number): void {
    const rows = this.buffer.length / Math.max(1, this.width);
    if (rows >= n && rows <= 4 * n + 1024) return;
    const next = rows < n ? Math.min(maxTokens, Math.max(n, 2 * rows, 256)) : n;
    const buffer = new Float32Array(next * this.width);
    buffer.set(this.buffer.subarray(0, keep * this.width));
    this.buffer = buffer;
  }
}

/** Number of leading tokens equal in text and position (so equal in id, and in value). */
function commonPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i]!.start !== b[i]!.start || a[i]!.text !== b[i]!.text) return i;
  return n;
}

/** Index of the token containing `offset` (the first ending after it), or the last token when none does. */
function tokenEndingAfter(tokens: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]!.end > offset) hi = mid;
    else lo = mid + 1;
  }
  return Math.min(lo, tokens.length - 1);
}

function alignDown(t: number): number {
  return t - (t % SNAPSHOT_INTERVAL);
}

function alignUp(t: number): number {
  return Math.ceil(t / SNAPSHOT_INTERVAL) * SNAPSHOT_INTERVAL;
}
