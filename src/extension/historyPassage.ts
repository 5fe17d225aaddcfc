/**
 * The passage of a document a neuron's history was computed on, as the extension keeps it in
 * workspace state: what a clicked token of the history panel needs to be selected in the editor,
 * also in a panel restored after a window reload. A document's version does not survive a reload,
 * so the passage keeps its text: a token is revealed only while the document still has that text
 * at that place. Pure (no VS Code), so what is accepted back from storage is unit-tested.
 */
import { HISTORY_WINDOW_CHARS } from './historyWindow';

export interface HistoryPassage {
  /** The document's URI (toString). */
  uri: string;
  /** Offset of the passage in the document. */
  start: number;
  text: string;
  /** Each token's [start, end) in `text`. */
  starts: number[];
  ends: number[];
}

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** A passage read back from storage, if it is well-formed (tokens in order, inside the text); else undefined. */
export function parseHistoryPassage(x: unknown): HistoryPassage | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const p = x as Record<string, unknown>;
  const { uri, start, text, starts, ends } = p;
  if (typeof uri !== 'string' || uri.length === 0 || !isOffset(start) || typeof text !== 'string') return undefined;
  if (text.length === 0 || text.length > HISTORY_WINDOW_CHARS) return undefined;
  if (!Array.isArray(starts) || !Array.isArray(ends) || starts.length !== ends.length || starts.length > text.length) return undefined;
  let previousEnd = 0;
  for (let i = 0; i < starts.length; i++) {
    const s: unknown = starts[i];
    const e: unknown = ends[i];
    if (!isOffset(s) || !isOffset(e) || s < previousEnd || e < s || e > text.length) return undefined;
    previousEnd = e;
  }
  return { uri, start, text, starts: starts as number[], ends: ends as number[] };
}

/** Whether the passage's tokens are `tokens` (the history a restored panel shows): else its offsets belong to another history. */
export function passageHasTokens(p: HistoryPassage, tokens: readonly string[]): boolean {
  return tokens.length === p.starts.length && tokens.every((t, i) => t === p.text.slice(p.starts[i], p.ends[i]));
}

/** Token `index`'s [start, end) in the document, or undefined when the passage has no such token. */
export function tokenInDocument(p: HistoryPassage, index: number): [number, number] | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= p.starts.length) return undefined;
  return [p.start + p.starts[index]!, p.start + p.ends[index]!];
}
