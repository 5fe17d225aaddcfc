/**
 * The results panel's cards, built from the engine's answers to the text investigations
 * (maximisation, top contexts, saliency, fooling, inversion). Pure (no VS Code), so what a card
 * says and in which order its rows come is unit-tested; the commands pair each card with what its
 * buttons do.
 */
import type { ResultAction, ResultCard, ResultRow } from '../shared/panelMessages';
import type { EngineMethods, FoolResult, SaliencyResult, TopContextsResult } from '../shared/protocol';
import { formatSigned, visibleToken } from './neuronLabels';

/** A card before the results panel gives it its id. */
export type NewResultCard = Omit<ResultCard, 'id'>;

/**
 * What a card's buttons do, as data rather than a closure over the command's variables: the
 * results panel keeps it beside the card in workspace state, so the buttons of a card restored
 * after a window reload do what they did (see runCardAction).
 */
export type CardActions =
  /** A row's `open`: the row's tokens as a new document, highlighted by the shown neuron (maximisation, inversion). */
  | { kind: 'rowText' }
  /** A row's `goTo`: row i's place, selected in its file (`moby-dick`: the default corpus shipped with the extension). */
  | { kind: 'places'; places: ContextPlace[] }
  /** A row's `reveal`: select the window in the document while the document still holds `text` there (saliency). */
  | { kind: 'window'; uri: string; start: number; text: string }
  /**
   * The card's `open` (the edited text as a new document, in `language`) and `openReport` (a
   * Markdown report). Either may be missing from a restored card (see storedResults): its button goes.
   */
  | { kind: 'edit'; language: string; text?: string; report?: { title: string; markdown: string } };

export interface ContextPlace {
  file: string;
  start: number;
  end: number;
}

/** Whether `actions` can carry out button `action` of row `row` (or of the card when undefined); the button's presence is checked apart. */
export function canRun(actions: CardActions, action: ResultAction, row: number | undefined): boolean {
  switch (actions.kind) {
    case 'rowText':
      return action === 'open' && row !== undefined;
    case 'places':
      return action === 'goTo' && row !== undefined && row < actions.places.length;
    case 'window':
      return action === 'reveal' && row !== undefined;
    case 'edit':
      return (
        row === undefined &&
        ((action === 'open' && actions.text !== undefined) || (action === 'openReport' && actions.report !== undefined))
      );
  }
}

/** The card with every button `actions` cannot carry out removed: a restored card has no dead buttons. */
export function withRunnableButtons<C extends NewResultCard>(card: C, actions: CardActions): C {
  return {
    ...card,
    buttons: card.buttons.filter((b) => canRun(actions, b.action, undefined)),
    rows: card.rows.map((r, i) => ({ ...r, buttons: r.buttons.filter((b) => canRun(actions, b.action, i)) })),
  };
}

/** Characters of unchanged text kept each side of a fooling edit: the rest of a long file is elided. */
const EDIT_CONTEXT_CHARS = 200;
/** Tokens of an inverted text shown (its last ones: the state is read after them). */
const MAX_SHOWN_TEXT_TOKENS = 400;

/** The largest |value| over the rows: the scale of an unbounded quantity (attributions, cell states). */
function largestMagnitude(rows: readonly ResultRow[]): number {
  let m = 0;
  for (const r of rows) for (const v of r.values ?? []) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m > 0 ? m : 1;
}

export interface MaximizationSettings {
  position: 'last' | 'every';
  length: number;
  starts: number;
  steps: number;
}

/** One row per start, highest real activation first; each token coloured by the neuron's value after it. */
export function maximizationCard(result: EngineMethods['maximize']['result'], settings: MaximizationSettings): NewResultCard {
  const order = result.sequences.map((_, i) => i).sort((a, b) => result.sequences[b]!.activation - result.sequences[a]!.activation);
  const rows: ResultRow[] = order.map((i) => {
    const q = result.sequences[i]!;
    return {
      label: `start ${q.start + 1}`,
      tokens: q.tokens,
      values: Float32Array.from(q.trace),
      marked: [],
      figure: formatSigned(q.activation, 3),
      best: i === result.best,
      buttons: [{ action: 'open', label: 'Open in editor' }],
    };
  });
  return {
    kind: 'maximization',
    title: result.target,
    source: 'activation maximisation',
    parameters: [
      `${settings.starts} starts × ${settings.steps} steps`,
      `length ${settings.length}`,
      settings.position === 'last' ? 'at the last token' : 'summed over every token',
      `${result.stepsPerSecond.toFixed(1)} steps/s`,
    ],
    elapsedMs: result.elapsedMs,
    notes: ['Rows are ordered by the activation the decoded sequence really reaches (model run on its tokens from a zero state).'],
    range: result.range,
    robustScale: result.range === 'unbounded' ? largestMagnitude(rows) : 1,
    valueName: 'activation',
    rows,
    buttons: [],
  };
}

/** A snippet split at its tokens, with the neuron's value after each and the context's token marked. */
function contextRow(c: TopContextsResult['most'][number], group: string, place: string): ResultRow {
  const pieces = c.snippetTokens.filter((t) => t.end > t.start);
  const tokens = pieces.map((t) => c.snippet.slice(t.start, t.end));
  const mark = pieces.findIndex((t) => t.start === c.markStart);
  return {
    group,
    label: place,
    tokens,
    values: Float32Array.from(pieces, (t) => t.value),
    marked: mark >= 0 ? [mark] : [],
    figure: formatSigned(c.value, 3),
    best: false,
    buttons: [{ action: 'goTo', label: 'Go to' }],
  };
}

/**
 * Most active places first, then least active: rows in the order of [...most, ...least], so row i
 * is that list's context i. `place` names a context's file and token for a row label.
 */
export function contextsCard(
  result: TopContextsResult,
  settings: { neuron: string; corpus: string; top: number; window: number },
  place: (c: TopContextsResult['most'][number]) => string,
): NewResultCard {
  const rows = [
    ...result.most.map((c) => contextRow(c, 'Most active', place(c))),
    ...result.least.map((c) => contextRow(c, 'Least active', place(c))),
  ];
  const notes = [`Read ${result.tokens.toLocaleString('en')} tokens; the context’s own token is underlined.`];
  if (result.skipped.length) notes.push(`${result.skipped.length} files skipped (not text).`);
  return {
    kind: 'contexts',
    title: `Top contexts of ${settings.neuron}`,
    source: settings.corpus,
    parameters: [`top ${settings.top}`, `${settings.window} characters each side`],
    notes,
    range: result.range,
    robustScale: result.range === 'unbounded' ? largestMagnitude(rows) : 1,
    valueName: 'activation',
    rows,
    buttons: [],
  };
}

const METHOD_NAMES: Record<SaliencyResult['method'], string> = {
  ig: 'Integrated gradients',
  'grad-x-input': 'Gradient × input',
  grad: 'Gradient norm',
};

/** A class score's class as the command offered it: its name and probability on the explained text. */
export interface ExplainedClass {
  name: string;
  probability: number;
  predicted: boolean;
}

/**
 * The window's tokens coloured by attribution, with the completeness check of integrated
 * gradients. A class score's card names the class (with its probability) in its parameters and row.
 */
export function saliencyCard(
  result: SaliencyResult,
  text: string,
  settings: { document: string; steps: number; explainedClass?: ExplainedClass },
): NewResultCard {
  const tokens = Array.from(result.starts, (s, i) => text.slice(s, result.ends[i]));
  const total = result.scores.reduce((sum, v) => sum + v, 0);
  const c = settings.explainedClass;
  const notes = [
    c
      ? `Class score of ${JSON.stringify(c.name)} ${formatSigned(result.targetValue, 4)} (its logit before the softmax, pooled over the tokens the classifier reads).`
      : `Target value ${formatSigned(result.targetValue, 4)}.`,
  ];
  if (result.completenessGap !== undefined && result.baselineValue !== undefined) {
    notes.push(
      `Completeness: Σ attributions ${formatSigned(total, 4)} vs target − baseline ${formatSigned(result.targetValue - result.baselineValue, 4)} ` +
        `(baseline ${formatSigned(result.baselineValue, 4)}; gap ${formatSigned(result.completenessGap, 4)}).`,
    );
  } else {
    notes.push(`Σ attributions ${formatSigned(total, 4)}.`);
  }
  const row: ResultRow = {
    label: c ? `class ${JSON.stringify(c.name)}` : `tokens ${result.starts.length}`,
    tokens,
    values: Float32Array.from(result.scores),
    marked: [],
    figure: `${c ? 'score' : 'target'} ${formatSigned(result.targetValue, 3)}`,
    best: false,
    buttons: [{ action: 'reveal', label: 'Reveal' }],
  };
  return {
    kind: 'saliency',
    title: `${METHOD_NAMES[result.method]} of ${result.target}`,
    source: settings.document,
    parameters: [
      ...(c ? [`class ${JSON.stringify(c.name)} (${c.predicted ? 'predicted, ' : ''}${(100 * c.probability).toFixed(1)} %)`] : []),
      METHOD_NAMES[result.method],
      ...(result.method === 'ig' ? [`${settings.steps} steps`] : []),
      `window of ${tokens.length} tokens`,
    ],
    notes,
    range: 'unbounded',
    robustScale: largestMagnitude([row]),
    valueName: 'attribution',
    rows: [row],
    buttons: [],
  };
}

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/**
 * `text` around the edits as display pieces: words and whitespace runs apart (so whitespace shows),
 * each edited span one marked piece (the old token, or the new one when `edited`), text far from
 * every edit elided with "…".
 */
export function editPieces(text: string, edits: readonly Replacement[], edited: boolean): { tokens: string[]; marked: number[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const from = sorted.length ? Math.max(0, sorted[0]!.start - EDIT_CONTEXT_CHARS) : 0;
  const to = sorted.length ? Math.min(text.length, sorted.at(-1)!.end + EDIT_CONTEXT_CHARS) : Math.min(text.length, 2 * EDIT_CONTEXT_CHARS);
  const tokens: string[] = [];
  const marked: number[] = [];
  const plain = (s: string) => tokens.push(...s.split(/(\s+)/).filter((p) => p.length > 0));
  if (from > 0) tokens.push('…');
  let at = from;
  for (const e of sorted) {
    plain(text.slice(at, e.start));
    marked.push(tokens.length);
    tokens.push(edited ? e.text : text.slice(e.start, e.end));
    at = e.end;
  }
  plain(text.slice(at, to));
  if (to < text.length) tokens.push('…');
  return { tokens, marked };
}

const percent = (p: number) => `${(100 * p).toFixed(1)} %`;

/** The text before and after the edits, the edited tokens marked, and the class probabilities along the way. */
export function foolingCard(result: FoolResult, original: string, settings: { document: string; maxFlips: number }): NewResultCard {
  const edits = result.steps.map((s) => ({ start: s.edit.start, end: s.edit.end, text: s.edit.newToken }));
  const before = editPieces(original, edits, false);
  const after = editPieces(original, edits, true);
  const row = (label: string, pieces: { tokens: string[]; marked: number[] }, figure: string): ResultRow => ({
    label,
    ...pieces,
    figure,
    best: false,
    buttons: [],
  });
  return {
    kind: 'fooling',
    title: result.flipped ? `Fooling edit: ${result.originalClass} → ${result.predicted}` : 'No fooling edit found',
    source: settings.document,
    parameters: [
      `at most ${settings.maxFlips} substitutions`,
      ...(result.targetClass === undefined ? [] : [`target ${result.targetClass}`]),
      `${result.evaluated} sequences scored`,
    ],
    notes: [result.summary],
    table: {
      columns: result.classes,
      rows: [
        { label: 'before', cells: result.probabilitiesBefore.map(percent) },
        ...result.steps.map((s, i) => ({
          label: `${i + 1}: ${visibleToken(s.edit.oldToken)} → ${visibleToken(s.edit.newToken)} (token ${s.edit.position})`,
          cells: s.probabilities.map(percent),
        })),
      ],
    },
    range: 'signed',
    robustScale: 1,
    valueName: 'value',
    rows: [
      row('original', before, result.originalClass),
      row(`edited (${result.steps.length} substitution${result.steps.length === 1 ? '' : 's'})`, after, result.predicted),
    ],
    buttons: [
      { action: 'open', label: 'Open edited text in editor' },
      { action: 'openReport', label: 'Open report' },
    ],
  };
}

/** The text whose state is the target, then the recovered sequences, closest first. */
export function inversionCard(
  result: EngineMethods['invert']['result'],
  settings: { document: string; starts: number; steps: number },
): NewResultCard {
  const shown = result.textTokens.slice(-MAX_SHOWN_TEXT_TOKENS);
  const cut = shown.length < result.textTokens.length;
  const measure = (distance: number, cosine: number) => `distance ${distance.toFixed(4)} · cosine ${cosine.toFixed(4)}`;
  const order = result.sequences.map((_, i) => i).sort((a, b) => result.sequences[a]!.distance - result.sequences[b]!.distance);
  const rows: ResultRow[] = [
    {
      group: 'The text',
      label: cut ? `its last ${shown.length} of ${result.textTokens.length} tokens` : `${shown.length} tokens`,
      tokens: cut ? ['…', ...shown] : shown,
      marked: [],
      figure: measure(result.reference.distance, result.reference.cosine),
      best: false,
      buttons: [],
    },
    ...order.map((i) => {
      const q = result.sequences[i]!;
      return {
        group: 'Recovered sequences',
        label: `start ${q.start + 1}`,
        tokens: q.tokens,
        marked: [],
        figure: measure(q.distance, q.cosine),
        best: i === result.best,
        buttons: [{ action: 'open' as const, label: 'Open in editor' }],
      };
    }),
  ];
  return {
    kind: 'inversion',
    title: `Inversion of layer ${result.layer} ${result.component} after ${result.targetTokens} tokens`,
    source: settings.document,
    parameters: [
      `${settings.starts} starts × ${settings.steps} steps`,
      `length ${result.length}`,
      `target norm ${result.targetNorm.toFixed(3)}`,
    ],
    elapsedMs: result.elapsedMs,
    notes: ['Distance is ‖h(x) − h*‖ of each decoded sequence run by the real model; the text itself scores 0 (a check).'],
    range: result.range,
    robustScale: 1,
    valueName: 'value',
    rows,
    buttons: [],
  };
}
