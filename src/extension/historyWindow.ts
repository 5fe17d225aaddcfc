/**
 * The part of a document a neuron's history is computed on. Every checkpoint runs the model over
 * the whole window and the panel draws one lane of its tokens per checkpoint, so it is a passage,
 * not the file: the selection when there is one (its first HISTORY_WINDOW_CHARS characters), else
 * HISTORY_WINDOW_CHARS characters centred on the cursor, shifted to lie inside the document. A
 * selection shorter than MIN_SELECTION_CHARS counts as a cursor: going to a top context or a
 * search hit selects one token, and a history of one token says nothing. The model reads the
 * window from a fresh state, as the CLI reads a text.
 */
export const HISTORY_WINDOW_CHARS = 2000;
export const MIN_SELECTION_CHARS = 20;

export interface TextWindow {
  /** [start, end) character offsets in the document. */
  start: number;
  end: number;
  /** Whether the window is (the start of) the selection rather than the text around the cursor. */
  fromSelection: boolean;
}

export function historyWindow(
  length: number,
  selection: { start: number; end: number },
  cursor: number,
  max = HISTORY_WINDOW_CHARS,
): TextWindow {
  if (selection.end - selection.start >= MIN_SELECTION_CHARS) {
    return { start: selection.start, end: Math.min(selection.end, selection.start + max), fromSelection: true };
  }
  const start = Math.max(0, Math.min(cursor - Math.floor(max / 2), length - max));
  return { start, end: Math.min(length, start + max), fromSelection: false };
}
