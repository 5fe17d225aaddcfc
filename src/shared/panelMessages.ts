import { isArrayOf, isComponentId, isFiniteNumber, isInt, isIntList, isOneOf, isRecord, isStr, isStrList } from './messageChecks';
import { NULL_MODELS, isRelevanceStatistic } from './relevanceStatistics';

/**
 * Messages between the extension and its webview panels, defined once for both sides. Numbers
 * travel as typed arrays. Every message a webview sends is untrusted input: the extension checks
 * it with the validators below before acting on it.
 */

/** What the heatmap panel draws: tokens × neurons of one layer's component. */
export interface HeatmapData {
  title: string;
  layer: number;
  component: string;
  /** How values are bounded: picks the colour scale (signed [-1,1], unit [0,1] centred on 0.5, unbounded robust). */
  range: 'signed' | 'unit' | 'unbounded';
  /** 99th percentile of |value| over the matrix, for unbounded components. */
  robustScale: number;
  tokens: string[];
  /** Offset of tokens[0] in the document (the heatmap may show a selection). */
  firstToken: number;
  units: number;
  /** tokens × units, row-major. */
  values: Float32Array;
  /** The neuron highlighted in the editor, if any. */
  selectedNeuron?: number;
}

export interface RelevanceData {
  statistic: string;
  statisticLabel: string;
  /** Score of an unrelated neuron (0, or 0.5 for AUROC): the colour scale's centre. */
  neutral: number;
  features: {
    feature: string;
    matches: number;
    scores: Float32Array;
    top: { neuron: number; score: number }[];
    /** With a permutation test: per neuron, p-value, Benjamini–Hochberg q-value, and 1 where q ≤ fdr. */
    pValues?: Float64Array;
    qValues?: Float64Array;
    significant?: Uint8Array;
  }[];
  /** How the p-values were computed; absent when the table has none. */
  significance?: { permutations: number; nullModel: string; fdr: number; seed: number };
}

export interface SpectraData {
  title: string;
  tokens: number;
  frequencies: Float64Array;
  neurons: number[];
  /** neurons × frequencies, row-major. */
  values: Float32Array;
  scale: 'power' | 'amplitude';
  window: 'none' | 'hann';
  band: [number, number];
  ranking: { neuron: number; score: number }[];
  peaks: { neuron: number; peaks: { frequency: number; period: number; value: number; ratio: number }[] }[];
}

export interface TrainingPoint {
  step: number;
  trainBits: number;
  validationBits?: number;
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface TrainingRunData {
  id: string;
  title: string;
  /** 'bits/char' or 'bits/token'. */
  unit: string;
  totalSteps: number;
  learningRate: number;
  state: 'running' | 'finished' | 'cancelled' | 'failed';
  message?: string;
  points: TrainingPoint[];
}

/** Extension → webview. */
export type ToWebview =
  | { type: 'heatmap'; data: HeatmapData }
  | { type: 'relevance'; data: RelevanceData }
  | { type: 'selectNeuron'; neuron: number }
  | { type: 'spectra'; data: SpectraData }
  | { type: 'training'; run: TrainingRunData }
  | { type: 'trainingPoint'; runId: string; point: TrainingPoint }
  | { type: 'error'; message: string }
  | { type: 'comparison'; data: ComparisonData }
  | { type: 'results'; data: ResultsData }
  | { type: 'history'; data: HistoryData };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'highlightNeuron'; neuron: number }
  | { type: 'revealToken'; index: number }
  | { type: 'setFeatures'; features: string[] }
  | { type: 'setStatistic'; statistic: string }
  | { type: 'setSpectrumOptions'; band: [number, number]; window: 'none' | 'hann'; scale: 'power' | 'amplitude'; neurons?: number[] }
  | { type: 'export'; format: 'png' | 'csv'; name: string; content: string }
  | { type: 'resultAction'; card: string; action: ResultAction; row?: number }
  | { type: 'closeResult'; card: string }
  | { type: 'clearResults' };

/** Checks a message from a webview; anything malformed (or from a compromised page) is dropped. */
export function parseFromWebview(m: unknown): FromWebview | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'ready':
      return { type: 'ready' };
    case 'highlightNeuron':
      return isInt(x.neuron) ? { type: 'highlightNeuron', neuron: x.neuron } : undefined;
    case 'revealToken':
      return isInt(x.index) ? { type: 'revealToken', index: x.index } : undefined;
    case 'setFeatures':
      return Array.isArray(x.features) && x.features.length <= 64 && x.features.every((f) => isStr(f, 200) && f.length > 0)
        ? { type: 'setFeatures', features: x.features as string[] }
        : undefined;
    case 'setStatistic':
      return isStr(x.statistic, 32) ? { type: 'setStatistic', statistic: x.statistic } : undefined;
    case 'setSpectrumOptions': {
      const band = x.band;
      const okNeurons = x.neurons === undefined || isIntList(x.neurons, 8192);
      if (!isBand(band) || !okNeurons || (x.window !== 'none' && x.window !== 'hann') || (x.scale !== 'power' && x.scale !== 'amplitude')) {
        return undefined;
      }
      return {
        type: 'setSpectrumOptions',
        band: [band[0], band[1]],
        window: x.window,
        scale: x.scale,
        ...(x.neurons ? { neurons: x.neurons as number[] } : {}),
      };
    }
    case 'resultAction':
      return isCardId(x.card) && isResultAction(x.action) && (x.row === undefined || isInt(x.row))
        ? { type: 'resultAction', card: x.card, action: x.action, ...(x.row === undefined ? {} : { row: x.row }) }
        : undefined;
    case 'closeResult':
      return isCardId(x.card) ? { type: 'closeResult', card: x.card } : undefined;
    case 'clearResults':
      return { type: 'clearResults' };
    case 'export':
      return (x.format === 'png' || x.format === 'csv') && isStr(x.name, 100) && /^[\w .-]+$/.test(x.name) && isStr(x.content, 200_000_000)
        ? { type: 'export', format: x.format, name: x.name, content: x.content }
        : undefined;
    default:
      return undefined;
  }
}

/** One neuron's trace as the comparison panel draws it: a lane of cells over the shared tokens. */
export interface ComparedNeuron {
  /** e.g. "layer 1 h · neuron 17". */
  label: string;
  /** How its component's values are bounded: picks the colour scale, as in HeatmapData. */
  range: 'signed' | 'unit' | 'unbounded';
  /** 99th percentile of |value| over the document, for unbounded components. */
  robustScale: number;
  /** One value per token. */
  values: Float32Array;
}

/** Two neurons on the same text (the comparison panel): both traces, how they co-vary and where they differ. */
export interface ComparisonData {
  title: string;
  tokens: string[];
  a: ComparedNeuron;
  b: ComparedNeuron;
  pearson: number;
  spearman: number;
  /** Tokens whose z-scored values differ most, largest |difference| first; `token` indexes `tokens`. */
  disagreements: { token: number; a: number; b: number; difference: number }[];
}

/** Extension → comparison page. */
export type ToComparison = Extract<ToWebview, { type: 'comparison' | 'error' }>;

function isComparedNeuron(x: unknown, tokens: number): x is ComparedNeuron {
  if (typeof x !== 'object' || x === null) return false;
  const n = x as Record<string, unknown>;
  return (
    isStr(n.label, 200) &&
    (n.range === 'signed' || n.range === 'unit' || n.range === 'unbounded') &&
    typeof n.robustScale === 'number' &&
    n.values instanceof Float32Array &&
    n.values.length === tokens
  );
}

/**
 * Checks a message for the comparison page. The page trusts only what passes: a malformed post
 * (wrong lengths, indices outside the text) would otherwise draw garbage or throw mid-render.
 */
export function parseToComparison(m: unknown): ToComparison | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  if (x.type === 'error') return isStr(x.message, 10_000) ? { type: 'error', message: x.message } : undefined;
  if (x.type !== 'comparison' || typeof x.data !== 'object' || x.data === null) return undefined;
  const d = x.data as Record<string, unknown>;
  const tokens = d.tokens;
  if (!isStr(d.title, 500) || !Array.isArray(tokens) || tokens.length > 1e7 || !tokens.every((t) => typeof t === 'string'))
    return undefined;
  const n = tokens.length;
  if (!isComparedNeuron(d.a, n) || !isComparedNeuron(d.b, n)) return undefined;
  const isCorrelation = (r: unknown): r is number => typeof r === 'number' && r >= -1.000001 && r <= 1.000001;
  if (!isCorrelation(d.pearson) || !isCorrelation(d.spearman)) return undefined;
  const list = d.disagreements;
  const okList =
    Array.isArray(list) &&
    list.length <= 1000 &&
    list.every((e: unknown) => {
      if (typeof e !== 'object' || e === null) return false;
      const r = e as Record<string, unknown>;
      return isInt(r.token) && r.token < n && [r.a, r.b, r.difference].every((v) => typeof v === 'number' && Number.isFinite(v));
    });
  if (!okList) return undefined;
  return {
    type: 'comparison',
    data: {
      title: d.title,
      tokens: tokens as string[],
      a: d.a,
      b: d.b,
      pearson: d.pearson,
      spearman: d.spearman,
      disagreements: list as ComparisonData['disagreements'],
    },
  };
}

/** One checkpoint of a neuron's history: when it was taken and what the neuron did on the text then. */
export interface HistoryRow {
  step: number;
  /** A training snapshot, or the model folder's own (final) weights. */
  source: 'snapshot' | 'model';
  /** Validation loss at that step (bits per token), when training had measured it. */
  validationBits?: number;
  mean: number;
  std: number;
  /** Cohen's d per feature, in the order of HistoryData.features. */
  d: number[];
}

/** One neuron across training (the history panel): its value on one text at every checkpoint, and each feature's d. */
export interface HistoryData {
  /** Where the text comes from, e.g. "notes.txt, characters 1–2,000". */
  title: string;
  /** e.g. "layer 0 h · neuron 17". */
  label: string;
  /** The model folder's name. */
  model: string;
  /** How the component's values are bounded: picks the colour scale, as in HeatmapData. */
  range: 'signed' | 'unit' | 'unbounded';
  /** 99th percentile of |value| over every checkpoint, for unbounded components: one scale for all rows. */
  robustScale: number;
  tokens: string[];
  /** Oldest first; steps increase. */
  rows: HistoryRow[];
  /** rows × tokens, row-major. */
  values: Float32Array;
  /** Per feature: matching tokens and the step from which |d| stays above the threshold (null: not yet). */
  features: { feature: string; matches: number; emergedAt: number | null }[];
  threshold: number;
}

/** Extension → history page. */
export type ToHistory = Extract<ToWebview, { type: 'history' | 'error' }>;

const MAX_HISTORY_ROWS = 1000;
const MAX_HISTORY_FEATURES = 64;

function isHistoryRow(x: unknown, features: number, previousStep: number): x is HistoryRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  return (
    isInt(r.step) &&
    r.step > previousStep &&
    (r.source === 'snapshot' || r.source === 'model') &&
    (r.validationBits === undefined || finite(r.validationBits)) &&
    finite(r.mean) &&
    finite(r.std) &&
    r.std >= 0 &&
    Array.isArray(r.d) &&
    r.d.length === features &&
    r.d.every(finite)
  );
}

/**
 * Checks a message for the history page: the matrix must be rows × tokens, steps must increase,
 * each row must have one d per feature, and an emergence step must be one of the rows' steps,
 * else the slider, the lanes and the chart would disagree about what they show.
 */
export function parseToHistory(m: unknown): ToHistory | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  if (x.type === 'error') return isStr(x.message, 10_000) ? { type: 'error', message: x.message } : undefined;
  if (x.type !== 'history' || typeof x.data !== 'object' || x.data === null) return undefined;
  const d = x.data as Record<string, unknown>;
  const tokens = d.tokens;
  if (!isStr(d.title, 500) || !isStr(d.label, 200) || !isStr(d.model, 500)) return undefined;
  if (!Array.isArray(tokens) || tokens.length > 1e6 || !tokens.every((t) => typeof t === 'string')) return undefined;
  if (d.range !== 'signed' && d.range !== 'unit' && d.range !== 'unbounded') return undefined;
  if (typeof d.robustScale !== 'number' || !(d.robustScale > 0) || !Number.isFinite(d.robustScale)) return undefined;
  if (typeof d.threshold !== 'number' || !(d.threshold >= 0) || !Number.isFinite(d.threshold)) return undefined;
  const features = d.features;
  const okFeatures =
    Array.isArray(features) &&
    features.length <= MAX_HISTORY_FEATURES &&
    features.every((f: unknown) => {
      if (typeof f !== 'object' || f === null) return false;
      const e = f as Record<string, unknown>;
      return (
        isStr(e.feature, 200) &&
        e.feature.length > 0 &&
        isInt(e.matches) &&
        e.matches <= tokens.length &&
        (e.emergedAt === null || isInt(e.emergedAt))
      );
    });
  if (!okFeatures) return undefined;
  const rows = d.rows;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > MAX_HISTORY_ROWS) return undefined;
  let previous = -1;
  for (const r of rows) {
    if (!isHistoryRow(r, features.length, previous)) return undefined;
    previous = r.step;
  }
  const steps = new Set((rows as HistoryRow[]).map((r) => r.step));
  if (!(features as HistoryData['features']).every((f) => f.emergedAt === null || steps.has(f.emergedAt))) return undefined;
  if (!(d.values instanceof Float32Array) || d.values.length !== rows.length * tokens.length) return undefined;
  return {
    type: 'history',
    data: {
      title: d.title,
      label: d.label,
      model: d.model,
      range: d.range,
      robustScale: d.robustScale,
      tokens: tokens as string[],
      rows: rows as HistoryRow[],
      values: d.values,
      features: features as HistoryData['features'],
      threshold: d.threshold,
    },
  };
}

/** What the results panel shows: the text investigations (maximisation, top contexts, saliency, fooling, inversion). */
export type ResultKind = 'maximization' | 'contexts' | 'saliency' | 'fooling' | 'inversion';
export const RESULT_KINDS: readonly ResultKind[] = ['maximization', 'contexts', 'saliency', 'fooling', 'inversion'];

/** What a card's buttons ask the editor to do: open a text, go to a place, select a window, open a report. */
export type ResultAction = 'open' | 'goTo' | 'reveal' | 'openReport';
export const RESULT_ACTIONS: readonly ResultAction[] = ['open', 'goTo', 'reveal', 'openReport'];

/** The newest this-many cards are kept; older ones drop off the end. */
export const MAX_RESULT_CARDS = 20;
const MAX_RESULT_ROWS = 200;
const MAX_ROW_TOKENS = 5000;

export interface ResultButton {
  action: ResultAction;
  label: string;
}

/** One line of tokens: a maximising sequence, a context, a saliency window, a text before or after an edit. */
export interface ResultRow {
  /** Heading the row sits under ("Most active"); shown where it changes. */
  group?: string;
  label: string;
  tokens: string[];
  /** One value per token, coloured on the card's scale; absent: the row is not coloured. */
  values?: Float32Array;
  /** Indices of emphasised tokens (the context's token, the edited tokens). */
  marked: number[];
  /** The row's figure, e.g. "+0.953" or "distance 0.412 · cosine 0.97". */
  figure: string;
  best: boolean;
  buttons: ResultButton[];
}

export interface ResultCard {
  /** Unique while the panel lives; messages from the page name the card by it. */
  id: string;
  kind: ResultKind;
  /** The neuron or target, e.g. "layer 0 h neuron 14 (last token)". */
  title: string;
  /** Where it comes from: a document, a corpus, the selection. */
  source: string;
  /** e.g. "8 starts × 200 steps", "length 20". */
  parameters: string[];
  elapsedMs?: number;
  /** Figures users check: completeness of integrated gradients, the prediction before and after. */
  notes: string[];
  /** A small table (class probabilities before and after a fooling edit). */
  table?: { columns: string[]; rows: { label: string; cells: string[] }[] };
  /** How the rows' values map onto the diverging palette, as in HeatmapData. */
  range: 'signed' | 'unit' | 'unbounded';
  robustScale: number;
  /** What a value is, for the hover: "activation", "attribution". */
  valueName: string;
  rows: ResultRow[];
  /** Buttons for the whole card (not a row). */
  buttons: ResultButton[];
}

/** Newest card first. */
export interface ResultsData {
  cards: ResultCard[];
}

/** Extension → results page. */
export type ToResults = Extract<ToWebview, { type: 'results' | 'error' }>;

function isCardId(x: unknown): x is string {
  return typeof x === 'string' && /^[\w-]{1,64}$/.test(x);
}

function isResultAction(x: unknown): x is ResultAction {
  return typeof x === 'string' && (RESULT_ACTIONS as readonly string[]).includes(x);
}

function isButtons(x: unknown): x is ResultButton[] {
  return (
    Array.isArray(x) &&
    x.length <= 8 &&
    x.every(
      (b: unknown) =>
        typeof b === 'object' && b !== null && isResultAction((b as ResultButton).action) && isStr((b as ResultButton).label, 100),
    )
  );
}

function isResultRow(x: unknown): x is ResultRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  if (!isStrList(r.tokens, MAX_ROW_TOKENS, 10_000)) return false;
  const n = r.tokens.length;
  return (
    (r.group === undefined || isStr(r.group, 200)) &&
    isStr(r.label, 500) &&
    (r.values === undefined || (r.values instanceof Float32Array && r.values.length === n)) &&
    Array.isArray(r.marked) &&
    r.marked.every((i) => isInt(i) && i < n) &&
    isStr(r.figure, 200) &&
    typeof r.best === 'boolean' &&
    isButtons(r.buttons)
  );
}

function isResultCard(x: unknown): x is ResultCard {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  const table = c.table as { columns?: unknown; rows?: unknown } | undefined;
  const okTable =
    table === undefined ||
    (typeof table === 'object' &&
      table !== null &&
      isStrList(table.columns, 100, 200) &&
      Array.isArray(table.rows) &&
      table.rows.length <= 100 &&
      table.rows.every((r: unknown) => {
        const row = r as { label?: unknown; cells?: unknown } | null;
        return typeof row === 'object' && row !== null && isStr(row.label, 500) && isStrList(row.cells, 100, 200);
      }));
  return (
    isCardId(c.id) &&
    typeof c.kind === 'string' &&
    (RESULT_KINDS as readonly string[]).includes(c.kind) &&
    isStr(c.title, 500) &&
    isStr(c.source, 1000) &&
    isStrList(c.parameters, 20, 200) &&
    (c.elapsedMs === undefined || (typeof c.elapsedMs === 'number' && Number.isFinite(c.elapsedMs) && c.elapsedMs >= 0)) &&
    isStrList(c.notes, 20, 1000) &&
    okTable &&
    (c.range === 'signed' || c.range === 'unit' || c.range === 'unbounded') &&
    typeof c.robustScale === 'number' &&
    Number.isFinite(c.robustScale) &&
    isStr(c.valueName, 100) &&
    Array.isArray(c.rows) &&
    c.rows.length <= MAX_RESULT_ROWS &&
    c.rows.every(isResultRow) &&
    isButtons(c.buttons)
  );
}

/**
 * Checks a message for the results page. A card is all or nothing: one malformed card (a marked
 * token past the row's end, values not one per token, an unknown action) drops the whole message,
 * so the page never draws a card whose buttons would name rows that are not there.
 */
export function parseToResults(m: unknown): ToResults | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  if (x.type === 'error') return isStr(x.message, 10_000) ? { type: 'error', message: x.message } : undefined;
  if (x.type !== 'results' || typeof x.data !== 'object' || x.data === null) return undefined;
  const cards = (x.data as Record<string, unknown>).cards;
  if (!Array.isArray(cards) || cards.length > MAX_RESULT_CARDS || !cards.every(isResultCard)) return undefined;
  if (new Set(cards.map((c) => c.id)).size !== cards.length) return undefined;
  return { type: 'results', data: { cards } };
}

// ---- the heatmap, Fourier and training pages ---------------------------------------------------

/** Extension → heatmap page. */
export type ToHeatmap = Extract<ToWebview, { type: 'heatmap' | 'relevance' | 'selectNeuron' | 'error' }>;
/** Extension → Fourier page. */
export type ToFourier = Extract<ToWebview, { type: 'spectra' | 'selectNeuron' | 'error' }>;
/** Extension → training page. */
export type ToTraining = Extract<ToWebview, { type: 'training' | 'trainingPoint' | 'error' }>;

const VALUE_RANGES: readonly HeatmapData['range'][] = ['signed', 'unit', 'unbounded'];
const MAX_TITLE = 2_000;
const MAX_MESSAGE = 10_000;
/** As many tokens as the comparison accepts: far above neuronLens.maxTokens, far below what would stall a page. */
const MAX_TOKENS = 1e7;
/** Features of interest come from the page (64 at most) or from an experiment file, which sets no limit of its own. */
const MAX_FEATURES = 1_000;
const MAX_FEATURE_LENGTH = 10_000;
const MAX_SPECTRUM_NEURONS = 100_000;
const MAX_TRAINING_POINTS = 1e7;
const TRAINING_STATES: readonly TrainingRunData['state'][] = ['running', 'finished', 'cancelled', 'failed'];

const isTokenList = (x: unknown): x is string[] => Array.isArray(x) && x.length <= MAX_TOKENS && x.every((t) => typeof t === 'string');

/** [lo, hi] in cycles per token, 0 ≤ lo ≤ hi ≤ 0.5. */
function isBand(x: unknown): x is [number, number] {
  return Array.isArray(x) && x.length === 2 && x.every((b) => isFiniteNumber(b) && b >= 0 && b <= 0.5) && x[0] <= x[1];
}

function parseError(x: Record<string, unknown>): { type: 'error'; message: string } | undefined {
  return isStr(x.message, MAX_MESSAGE) ? { type: 'error', message: x.message } : undefined;
}

function parseHeatmapData(x: unknown): HeatmapData | undefined {
  if (!isRecord(x)) return undefined;
  const { title, layer, component, range, robustScale, tokens, firstToken, units, values, selectedNeuron } = x;
  if (!isStr(title, MAX_TITLE) || !isInt(layer) || !isComponentId(component) || !isOneOf(range, VALUE_RANGES)) return undefined;
  if (!isFiniteNumber(robustScale) || robustScale < 0 || !isTokenList(tokens) || !isInt(firstToken)) return undefined;
  // An empty text passes: the page says so rather than staying blank.
  if (!isInt(units) || units === 0 || !isArrayOf(values, Float32Array, tokens.length * units)) return undefined;
  if (selectedNeuron !== undefined && !(isInt(selectedNeuron) && selectedNeuron < units)) return undefined;
  return {
    title,
    layer,
    component,
    range,
    robustScale,
    tokens,
    firstToken,
    units,
    values,
    ...(selectedNeuron !== undefined ? { selectedNeuron } : {}),
  };
}

function parseSignificance(x: unknown): RelevanceData['significance'] {
  if (!isRecord(x)) return undefined;
  const { permutations, nullModel, fdr, seed } = x;
  return isInt(permutations) &&
    permutations > 0 &&
    isOneOf(nullModel, NULL_MODELS) &&
    isFiniteNumber(fdr) &&
    fdr > 0 &&
    fdr < 1 &&
    Number.isSafeInteger(seed)
    ? { permutations, nullModel, fdr, seed: seed as number }
    : undefined;
}

/**
 * One feature's row of the relevance table: a score per neuron, top neurons among them, and (with
 * a permutation test, and only then) p, q and significance per neuron.
 */
function isRelevanceFeature(x: unknown, units: number, tested: boolean): x is RelevanceData['features'][number] {
  if (!isRecord(x)) return false;
  const { feature, matches, scores, top, pValues, qValues, significant } = x;
  const okTop =
    Array.isArray(top) &&
    top.length <= units &&
    top.every((t: unknown) => isRecord(t) && isInt(t.neuron) && t.neuron < units && isFiniteNumber(t.score));
  const okTest = tested
    ? isArrayOf(pValues, Float64Array, units) && isArrayOf(qValues, Float64Array, units) && isArrayOf(significant, Uint8Array, units)
    : pValues === undefined && qValues === undefined && significant === undefined;
  return (
    isStr(feature, MAX_FEATURE_LENGTH) && feature.length > 0 && isInt(matches) && isArrayOf(scores, Float32Array, units) && okTop && okTest
  );
}

function parseRelevanceData(x: unknown): RelevanceData | undefined {
  if (!isRecord(x)) return undefined;
  const { statistic, statisticLabel, neutral, features } = x;
  if (typeof statistic !== 'string' || !isRelevanceStatistic(statistic) || !isStr(statisticLabel, 500) || !isFiniteNumber(neutral))
    return undefined;
  const significance = parseSignificance(x.significance);
  if (x.significance !== undefined && !significance) return undefined;
  if (!Array.isArray(features) || features.length > MAX_FEATURES) return undefined;
  // Every row is drawn against the first one's neurons.
  const units = (features[0] as { scores?: unknown } | undefined)?.scores;
  const n = units instanceof Float32Array ? units.length : 0;
  if (features.length > 0 && n === 0) return undefined;
  if (!features.every((f) => isRelevanceFeature(f, n, significance !== undefined))) return undefined;
  return {
    statistic,
    statisticLabel,
    neutral,
    features: features as RelevanceData['features'],
    ...(significance ? { significance } : {}),
  };
}

/**
 * Checks a message for the heatmap page: the matrix must be tokens × neurons, and every relevance
 * row must score the same neurons, else the rows, the sort and the hover would disagree.
 */
export function parseToHeatmap(m: unknown): ToHeatmap | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.type) {
    case 'heatmap': {
      const data = parseHeatmapData(m.data);
      return data && { type: 'heatmap', data };
    }
    case 'relevance': {
      const data = parseRelevanceData(m.data);
      return data && { type: 'relevance', data };
    }
    case 'selectNeuron':
      return isInt(m.neuron) ? { type: 'selectNeuron', neuron: m.neuron } : undefined;
    case 'error':
      return parseError(m);
    default:
      return undefined;
  }
}

/** Frequency bins in cycles per token: within [0, 0.5] and increasing, as the surface's x axis assumes. */
function isFrequencyAxis(x: unknown): x is Float64Array {
  if (!(x instanceof Float64Array) || x.length === 0 || x.length > MAX_TOKENS) return false;
  for (let k = 0; k < x.length; k++) {
    const f = x[k]!;
    if (!(f >= 0 && f <= 0.5) || (k > 0 && !(f > x[k - 1]!))) return false;
  }
  return true;
}

function isPeak(x: unknown): x is SpectraData['peaks'][number]['peaks'][number] {
  if (!isRecord(x)) return false;
  const { frequency, period, value, ratio } = x;
  return (
    isFiniteNumber(frequency) &&
    frequency >= 0 &&
    frequency <= 0.5 &&
    isFiniteNumber(period) &&
    period > 0 &&
    isFiniteNumber(value) &&
    isFiniteNumber(ratio) &&
    ratio >= 0
  );
}

function parseSpectraData(x: unknown): SpectraData | undefined {
  if (!isRecord(x)) return undefined;
  const { title, tokens, frequencies, neurons, values, scale, window, band, ranking, peaks } = x;
  if (!isStr(title, MAX_TITLE) || !isInt(tokens) || tokens < 2 || !isFrequencyAxis(frequencies)) return undefined;
  if (!isIntList(neurons, MAX_SPECTRUM_NEURONS) || neurons.length === 0) return undefined;
  if (!isArrayOf(values, Float32Array, neurons.length * frequencies.length)) return undefined;
  if (!isOneOf(scale, ['power', 'amplitude'] as const) || !isOneOf(window, ['none', 'hann'] as const) || !isBand(band)) return undefined;
  // Rankings and peaks name neurons by number: only the ones the surface has rows for.
  const shown = new Set(neurons);
  const okRanking =
    Array.isArray(ranking) &&
    ranking.length <= neurons.length &&
    ranking.every((r: unknown) => isRecord(r) && isInt(r.neuron) && shown.has(r.neuron) && isFiniteNumber(r.score));
  const okPeaks =
    Array.isArray(peaks) &&
    peaks.length <= neurons.length &&
    peaks.every(
      (p: unknown) =>
        isRecord(p) &&
        isInt(p.neuron) &&
        shown.has(p.neuron) &&
        Array.isArray(p.peaks) &&
        p.peaks.length <= frequencies.length &&
        p.peaks.every(isPeak),
    );
  if (!okRanking || !okPeaks) return undefined;
  return {
    title,
    tokens,
    frequencies,
    neurons,
    values,
    scale,
    window,
    band: [band[0], band[1]],
    ranking: ranking as SpectraData['ranking'],
    peaks: peaks as SpectraData['peaks'],
  };
}

/** Checks a message for the Fourier page: values must be neurons × frequencies, and the ranking and peaks of neurons it shows. */
export function parseToFourier(m: unknown): ToFourier | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.type) {
    case 'spectra': {
      const data = parseSpectraData(m.data);
      return data && { type: 'spectra', data };
    }
    case 'selectNeuron':
      return isInt(m.neuron) ? { type: 'selectNeuron', neuron: m.neuron } : undefined;
    case 'error':
      return parseError(m);
    default:
      return undefined;
  }
}

function parseTrainingPoint(x: unknown): TrainingPoint | undefined {
  if (!isRecord(x)) return undefined;
  const { step, trainBits, validationBits, tokensPerSecond, elapsedMs } = x;
  const ok =
    isInt(step) &&
    isFiniteNumber(trainBits) &&
    (validationBits === undefined || isFiniteNumber(validationBits)) &&
    isFiniteNumber(tokensPerSecond) &&
    tokensPerSecond >= 0 &&
    isFiniteNumber(elapsedMs) &&
    elapsedMs >= 0;
  if (!ok) return undefined;
  return { step, trainBits, ...(validationBits !== undefined ? { validationBits } : {}), tokensPerSecond, elapsedMs };
}

function parseTrainingRun(x: unknown): TrainingRunData | undefined {
  if (!isRecord(x)) return undefined;
  const { id, title, unit, totalSteps, learningRate, state, message } = x;
  if (!isStr(id, 200) || id.length === 0 || !isStr(title, MAX_TITLE) || !isStr(unit, 100) || !isInt(totalSteps)) return undefined;
  if (!isFiniteNumber(learningRate) || learningRate <= 0 || !isOneOf(state, TRAINING_STATES)) return undefined;
  if (message !== undefined && !isStr(message, MAX_MESSAGE)) return undefined;
  if (!Array.isArray(x.points) || x.points.length > MAX_TRAINING_POINTS) return undefined;
  // Steps increase: the page drops a streamed point that is not past the last one it has.
  const points: TrainingPoint[] = [];
  for (const raw of x.points) {
    const point = parseTrainingPoint(raw);
    if (!point || (points.length > 0 && point.step <= points[points.length - 1]!.step)) return undefined;
    points.push(point);
  }
  return { id, title, unit, totalSteps, learningRate, state, ...(message !== undefined ? { message } : {}), points };
}

/** Checks a message for the training page: a run with finite figures and increasing steps, or one more point. */
export function parseToTraining(m: unknown): ToTraining | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.type) {
    case 'training': {
      const run = parseTrainingRun(m.run);
      return run && { type: 'training', run };
    }
    case 'trainingPoint': {
      const point = parseTrainingPoint(m.point);
      return point && isStr(m.runId, 200) ? { type: 'trainingPoint', runId: m.runId, point } : undefined;
    }
    case 'error':
      return parseError(m);
    default:
      return undefined;
  }
}
