/**
 * The part of a document Show Saliency at Cursor… sends the engine. A neuron or the next token is
 * explained where the cursor is: the file from its start to a little past the cursor (the engine
 * keeps the 256 tokens before the cursor; the next-token target needs the token after it). A class
 * score explains the prediction Classify Active File or Selection makes, so it gets the same text:
 * the selection when there is one, else the whole file from its start, wherever the cursor is; the
 * engine cuts it to the classifier's first maxTokens tokens, as the classifier reads it.
 */
import type { SaliencyTarget } from '../shared/protocol';

/** The next-token target needs the token after the cursor: a word is at most this long. */
export const NEXT_TOKEN_LOOKAHEAD = 200;

export interface SaliencyWindow {
  /** [start, end) character offsets in the document: the request's text. */
  start: number;
  end: number;
  /** The request's offset, relative to `start`: the window's tokens end at or before it. */
  offset: number;
  /** Whether the text is the selection (a class score) rather than the file up to the cursor. */
  fromSelection: boolean;
}

export function saliencyWindow(
  kind: SaliencyTarget['kind'],
  length: number,
  selection: { start: number; end: number },
  cursor: number,
): SaliencyWindow {
  if (kind === 'class') {
    const start = Math.min(selection.start, selection.end);
    const end = Math.max(selection.start, selection.end);
    if (end > start) return { start, end, offset: end - start, fromSelection: true };
    return { start: 0, end: length, offset: length, fromSelection: false };
  }
  return { start: 0, end: Math.min(length, cursor + NEXT_TOKEN_LOOKAHEAD), offset: cursor, fromSelection: false };
}
