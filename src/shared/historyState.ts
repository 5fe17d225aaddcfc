/**
 * What the neuron-across-training page keeps with setState. A history is computed once per command
 * (every snapshot read from disk), so after a window reload nothing can recompute it: the page
 * keeps the history itself, and the extension, handed the same state by VS Code when it restores
 * the panel, checks it as the page does. Kept as JSON by VS Code, so the values travel as plain
 * numbers. A default history is 20 checkpoints × at most 2,000 tokens, about 0.45 MB; one of more
 * than MAX_SAVED_HISTORY_VALUES values (over 50 checkpoints of a full passage) is not kept, and
 * the restored panel says so instead.
 */
import { float32FromPlain, plainFloats } from './plainFloats';
import { type HistoryData, parseToHistory } from './panelMessages';

/** About 1.1 MB of JSON: the most a page saves of one history. */
export const MAX_SAVED_HISTORY_VALUES = 100_000;

/** A HistoryData as JSON keeps it. */
export type PlainHistoryData = Omit<HistoryData, 'values'> & { values: (number | null)[] };

export interface SavedHistory {
  /** The row of the checkpoint shown. */
  selected: number;
  /** The history, unless it was too large to keep (then `tooLarge` names it). */
  data?: PlainHistoryData;
  tooLarge?: { title: string; label: string; values: number };
}

export type RestoredHistory = { data: HistoryData; selected: number } | { tooLarge: { title: string; label: string; values: number } };

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The state to save for `data` shown at checkpoint row `selected`. */
export function savedHistory(data: HistoryData, selected: number): SavedHistory {
  if (data.values.length > MAX_SAVED_HISTORY_VALUES) {
    return { selected, tooLarge: { title: data.title, label: data.label, values: data.values.length } };
  }
  return { selected, data: { ...data, values: plainFloats(data.values) } };
}

/** Whether `x` has the shape of a SavedHistory; restoreHistory checks its content. */
export function isSavedHistory(x: unknown): x is SavedHistory {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    isIndex(s.selected) && ((typeof s.data === 'object' && s.data !== null) || (typeof s.tooLarge === 'object' && s.tooLarge !== null))
  );
}

/**
 * The history a saved state holds, checked as a message from the extension is (parseToHistory),
 * with a selected row that exists; undefined for anything malformed, which is then ignored.
 */
export function restoreHistory(saved: SavedHistory): RestoredHistory | undefined {
  if (saved.data) {
    const values = float32FromPlain((saved.data as { values?: unknown }).values);
    if (!values) return undefined;
    const m = parseToHistory({ type: 'history', data: { ...saved.data, values } });
    if (m?.type !== 'history' || saved.selected >= m.data.rows.length) return undefined;
    return { data: m.data, selected: saved.selected };
  }
  const t = saved.tooLarge as Record<string, unknown> | undefined;
  if (!t || typeof t.title !== 'string' || typeof t.label !== 'string' || !isIndex(t.values)) return undefined;
  if (t.title.length > 500 || t.label.length > 200) return undefined;
  return { tooLarge: { title: t.title, label: t.label, values: t.values } };
}

/** What a restored panel says when it has no history to show. */
export function historyNotKept(restored: RestoredHistory | undefined): string {
  const again = 'run "Neuron Lens: Show Neuron Across Training…" again';
  if (restored && 'tooLarge' in restored) {
    const { label, title, values } = restored.tooLarge;
    return `The history of ${label} on ${title} (${values.toLocaleString('en')} values) was too large to keep across a window reload: ${again}.`;
  }
  return `No history was kept for this panel: ${again}.`;
}

/** Whether two histories show the same thing (a page sent the history it restored keeps its checkpoint). */
export function sameHistory(a: HistoryData, b: HistoryData): boolean {
  if (a.title !== b.title || a.label !== b.label || a.model !== b.model || a.range !== b.range) return false;
  if (a.robustScale !== b.robustScale || a.threshold !== b.threshold) return false;
  if (a.tokens.length !== b.tokens.length || a.tokens.some((t, i) => t !== b.tokens[i])) return false;
  if (a.rows.length !== b.rows.length || a.values.length !== b.values.length) return false;
  if (JSON.stringify(a.rows) !== JSON.stringify(b.rows) || JSON.stringify(a.features) !== JSON.stringify(b.features)) return false;
  for (let i = 0; i < a.values.length; i++) if (!Object.is(a.values[i], b.values[i])) return false;
  return true;
}
