/**
 * The results panel's cards as kept in workspace state, so that the panel restored after a
 * window reload shows them again with working buttons. They are kept by the extension, not by the
 * page's setState: a button's data (a file and offsets to go to, a whole edited text, a report)
 * is never shown by the page and should not travel through it, and the extension would otherwise
 * have to act on what a page hands back as the place to open. Pure (no VS Code): what is accepted
 * back from storage is unit-tested, and anything malformed is left out card by card.
 */
import { MAX_RESULT_CARDS, type ResultCard, type ResultRow, parseToResults } from '../shared/panelMessages';
import { float32FromPlain, plainFloats } from '../shared/plainFloats';
import { type CardActions, type ContextPlace, withRunnableButtons } from './resultCards';

/** The most JSON kept for all cards (newest first; older cards beyond it are not kept). */
export const MAX_STORED_RESULTS_CHARS = 4_000_000;
/** An edited text or report longer than this is not kept: its button is removed from the restored card. */
export const MAX_STORED_TEXT_CHARS = 1_000_000;
const MAX_PLACES = 1000;

export interface ResultEntry {
  card: ResultCard;
  actions: CardActions;
}

type PlainRow = Omit<ResultRow, 'values'> & { values?: (number | null)[] };
type PlainCard = Omit<ResultCard, 'rows'> & { rows: PlainRow[] };

export interface StoredResults {
  version: 1;
  /** Newest first, as the panel lists them. */
  entries: { card: PlainCard; actions: CardActions }[];
}

/** What to keep of `entries` (newest first): typed arrays as plain numbers, within MAX_STORED_RESULTS_CHARS. */
export function storeResults(entries: readonly ResultEntry[]): StoredResults {
  const stored: StoredResults['entries'] = [];
  let chars = 0;
  for (const entry of entries) {
    const kept = storedEntry(entry);
    chars += JSON.stringify(kept).length;
    if (chars > MAX_STORED_RESULTS_CHARS) break;
    stored.push(kept);
  }
  return { version: 1, entries: stored };
}

function storedEntry({ card, actions }: ResultEntry): StoredResults['entries'][number] {
  let kept = actions;
  if (actions.kind === 'edit') {
    const fits = (s: string | undefined): s is string => s !== undefined && s.length <= MAX_STORED_TEXT_CHARS;
    kept = {
      kind: 'edit',
      language: actions.language,
      ...(fits(actions.text) ? { text: actions.text } : {}),
      ...(actions.report && fits(actions.report.markdown) ? { report: actions.report } : {}),
    };
  }
  const runnable = withRunnableButtons(card, kept);
  const rows = runnable.rows.map(({ values, ...row }): PlainRow => (values ? { ...row, values: plainFloats(values) } : row));
  return { card: { ...runnable, rows }, actions: kept };
}

/**
 * The cards kept by storeResults, newest first. A card or its button data that is malformed
 * leaves out that card; a button whose data is missing is removed from its card.
 */
export function restoreResults(x: unknown): ResultEntry[] {
  if (typeof x !== 'object' || x === null) return [];
  const s = x as Record<string, unknown>;
  if (s.version !== 1 || !Array.isArray(s.entries)) return [];
  const restored: ResultEntry[] = [];
  for (const e of s.entries.slice(0, MAX_RESULT_CARDS) as unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const { card, actions } = e as Record<string, unknown>;
    const parsedActions = parseCardActions(actions);
    const parsedCard = parseCard(card);
    if (!parsedActions || !parsedCard || restored.some((r) => r.card.id === parsedCard.id)) continue;
    restored.push({ card: withRunnableButtons(parsedCard, parsedActions), actions: parsedActions });
  }
  return restored;
}

/** A stored card checked as a message to the page is (parseToResults), its values read back as Float32Arrays. */
function parseCard(x: unknown): ResultCard | undefined {
  if (typeof x !== 'object' || x === null || !Array.isArray((x as { rows?: unknown }).rows)) return undefined;
  const rows: unknown[] = [];
  for (const r of (x as { rows: unknown[] }).rows) {
    if (typeof r !== 'object' || r === null) return undefined;
    const plain = (r as { values?: unknown }).values;
    if (plain === undefined) {
      rows.push(r);
      continue;
    }
    const values = float32FromPlain(plain);
    if (!values) return undefined;
    rows.push({ ...r, values });
  }
  const m = parseToResults({ type: 'results', data: { cards: [{ ...x, rows }] } });
  return m?.type === 'results' ? m.data.cards[0] : undefined;
}

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isText = (x: unknown, max: number): x is string => typeof x === 'string' && x.length <= max;

function isPlace(x: unknown): x is ContextPlace {
  if (typeof x !== 'object' || x === null) return false;
  const p = x as Record<string, unknown>;
  return isText(p.file, 10_000) && p.file.length > 0 && isOffset(p.start) && isOffset(p.end) && p.start <= p.end;
}

function parseCardActions(x: unknown): CardActions | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const a = x as Record<string, unknown>;
  switch (a.kind) {
    case 'rowText':
      return { kind: 'rowText' };
    case 'places':
      return Array.isArray(a.places) && a.places.length <= MAX_PLACES && a.places.every(isPlace)
        ? { kind: 'places', places: a.places.map((p: ContextPlace) => ({ file: p.file, start: p.start, end: p.end })) }
        : undefined;
    case 'window':
      return isText(a.uri, 10_000) && a.uri.length > 0 && isOffset(a.start) && isText(a.text, MAX_STORED_TEXT_CHARS)
        ? { kind: 'window', uri: a.uri, start: a.start, text: a.text }
        : undefined;
    case 'edit': {
      if (!isText(a.language, 100) || a.language.length === 0) return undefined;
      if (a.text !== undefined && !isText(a.text, MAX_STORED_TEXT_CHARS)) return undefined;
      const r = a.report as Record<string, unknown> | undefined;
      const okReport =
        r === undefined || (typeof r === 'object' && r !== null && isText(r.title, 500) && isText(r.markdown, MAX_STORED_TEXT_CHARS));
      if (!okReport) return undefined;
      return {
        kind: 'edit',
        language: a.language,
        ...(a.text !== undefined ? { text: a.text } : {}),
        ...(r ? { report: { title: r.title as string, markdown: r.markdown as string } } : {}),
      };
    }
    default:
      return undefined;
  }
}
