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
  | { type: 'comparison'; data: ComparisonData };

/** Webview → extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'highlightNeuron'; neuron: number }
  | { type: 'revealToken'; index: number }
  | { type: 'setFeatures'; features: string[] }
  | { type: 'setStatistic'; statistic: string }
  | { type: 'setSpectrumOptions'; band: [number, number]; window: 'none' | 'hann'; scale: 'power' | 'amplitude'; neurons?: number[] }
  | { type: 'export'; format: 'png' | 'csv'; name: string; content: string };

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1e9;
const isStr = (x: unknown, max = 1_000): x is string => typeof x === 'string' && x.length <= max;

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
      const okBand =
        Array.isArray(band) && band.length === 2 && band.every((b) => typeof b === 'number' && b >= 0 && b <= 0.5) && band[0] <= band[1];
      const okNeurons = x.neurons === undefined || (Array.isArray(x.neurons) && x.neurons.length <= 8192 && x.neurons.every(isInt));
      if (!okBand || !okNeurons || (x.window !== 'none' && x.window !== 'hann') || (x.scale !== 'power' && x.scale !== 'amplitude')) {
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
