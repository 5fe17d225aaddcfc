import { isArrayOf, isComponentId, isFiniteNumber, isInt, isIntList, isRecord, isStr, isStrList } from './messageChecks';

/**
 * Messages between the extension and the Neuron Lens side panel (the webview view in the activity
 * bar), defined once for both ends. Plain data only; numbers in bulk travel as typed arrays. This
 * file is compiled into the webview too, so it imports only the plain checks of messageChecks (no
 * Node, no engine types).
 */

/**
 * The commands the side panel's buttons may run, and nothing else: the extension executes a
 * `runCommand` only when its id is on this list, so a compromised page cannot reach arbitrary
 * commands (some take file paths or run tasks).
 */
export const SIDE_PANEL_COMMANDS = [
  'neuronLens.trainModel',
  'neuronLens.loadModel',
  'neuronLens.highlightActiveFile',
  'neuronLens.showHeatmap',
  'neuronLens.showSpectra',
  'neuronLens.showTrainingCurves',
  'neuronLens.findNeuronsForSelection',
  'neuronLens.generateText',
  'neuronLens.openExperimentFile',
] as const;

export type SidePanelCommand = (typeof SIDE_PANEL_COMMANDS)[number];

export function isSidePanelCommand(id: unknown): id is SidePanelCommand {
  return typeof id === 'string' && (SIDE_PANEL_COMMANDS as readonly string[]).includes(id);
}

/** What the panel shows about the active model. */
export interface SidePanelModel {
  /** The model's folder name (or its description when it has no folder). */
  name: string;
  /** Absolute folder, for the tooltip. */
  dir?: string;
  /** `rnn`, `lstm`, `gru`. */
  cell: string;
  /** `char` or `word`. */
  level: string;
  /** Units per layer. */
  layers: number[];
  parameters: number;
  vocabulary: number;
  components: { id: string; label: string }[];
  /** Layers that also read backwards (Bidirectional imports): only they have the `backward/…` components. */
  backwardLayers?: number[];
  training?: {
    corpus: string;
    steps: number;
    targetSteps: number;
    completed: boolean;
    /** Held-out bits per token (per character for char models). */
    validationBits?: number;
    /** Entropy of the unigram distribution of the same text: what a model that ignores context scores. */
    unigramEntropyBits?: number;
    /** The backend the model was trained on. */
    backend?: string;
  };
  /** The backend of the running engine, once it has started. */
  backend?: string;
}

export interface SidePanelSelection {
  layer: number;
  component: string;
  neuron: number;
}

/** Every neuron of one component over the active document, compressed for sparklines. */
export interface SidePanelNeurons {
  /** The document's name, for the heading. */
  document: string;
  layer: number;
  component: string;
  units: number;
  /** Tokens analysed (at most neuronLens.maxTokens). */
  tokens: number;
  /** The document had more tokens than were analysed. */
  truncated: boolean;
  /** Points per sparkline: min(64, tokens). */
  points: number;
  /** units × points, neuron-major: each point is its bucket's value furthest from `baseline`, sign kept. */
  sparklines: Float32Array;
  /** The value axis of every sparkline (shared, so that neurons compare): [lo, hi] and the line the area is filled from. */
  lo: number;
  hi: number;
  baseline: number;
  /** Per neuron over all analysed tokens. */
  mean: Float32Array;
  std: Float32Array;
}

/** Extension → side panel. */
export type ToSidePanel =
  /** The active model; null shows the welcome (with `loading` while a configured model loads). */
  | { type: 'model'; model: SidePanelModel | null; loading?: string }
  /** The neuron highlighted in the editor; null before one is chosen. */
  | { type: 'selection'; selection: SidePanelSelection | null }
  /**
   * The experiment file's features of interest: the defaults while the file does not exist, and
   * with `problem` when it does not parse (the panels then work with the defaults too).
   */
  | { type: 'features'; features: string[]; file: string; exists: boolean; problem?: string }
  | { type: 'neurons'; data: SidePanelNeurons }
  /** Why there is no neuron list (no text editor, binary file…), or that one is being computed (`busy`: the old list stays, dimmed). */
  | { type: 'neuronsStatus'; message: string; busy: boolean };

/** Side panel → extension. */
export type FromSidePanel =
  | { type: 'ready' }
  /** Show this neuron: selects it everywhere and highlights the active editor. */
  | { type: 'selectNeuron'; layer: number; component: string; neuron: number }
  | { type: 'runCommand'; command: SidePanelCommand };

const isIndex = (x: unknown): x is number => isInt(x, 1e6);

/**
 * Checks a message from the side panel; anything malformed (or from a compromised page) is
 * dropped. Whether the neuron exists in the active model is for the receiver to check.
 */
export function parseFromSidePanel(m: unknown): FromSidePanel | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'ready':
      return { type: 'ready' };
    case 'selectNeuron':
      return isIndex(x.layer) && isIndex(x.neuron) && isComponentId(x.component)
        ? { type: 'selectNeuron', layer: x.layer, component: x.component, neuron: x.neuron }
        : undefined;
    case 'runCommand':
      return isSidePanelCommand(x.command) ? { type: 'runCommand', command: x.command } : undefined;
    default:
      return undefined;
  }
}

const MAX_TEXT = 10_000;
/** Features of interest come from an experiment file, which sets no limit of its own. */
const MAX_FEATURES = 1_000;
/** Sparkline points per neuron (the extension sends at most 64). */
const MAX_POINTS = 10_000;

const isOptionalNumber = (x: unknown): x is number | undefined => x === undefined || isFiniteNumber(x);
const isOptionalText = (x: unknown, max = MAX_TEXT): x is string | undefined => x === undefined || isStr(x, max);

function parseTraining(x: unknown): SidePanelModel['training'] | undefined {
  if (!isRecord(x)) return undefined;
  const { corpus, steps, targetSteps, completed, validationBits, unigramEntropyBits, backend } = x;
  const ok =
    isStr(corpus, MAX_TEXT) &&
    isInt(steps, Number.MAX_SAFE_INTEGER) &&
    isInt(targetSteps, Number.MAX_SAFE_INTEGER) &&
    typeof completed === 'boolean' &&
    isOptionalNumber(validationBits) &&
    isOptionalNumber(unigramEntropyBits) &&
    isOptionalText(backend, 100);
  if (!ok) return undefined;
  return {
    corpus,
    steps,
    targetSteps,
    completed,
    ...(validationBits !== undefined ? { validationBits } : {}),
    ...(unigramEntropyBits !== undefined ? { unigramEntropyBits } : {}),
    ...(backend !== undefined ? { backend } : {}),
  };
}

/** The active model; fields the extension left undefined (no folder, no training record) are left out. */
function parseModel(x: unknown): SidePanelModel | undefined {
  if (!isRecord(x)) return undefined;
  const { name, dir, cell, level, layers, parameters, vocabulary, components, backwardLayers, backend } = x;
  if (!isStr(name, MAX_TEXT) || !isOptionalText(dir) || !isStr(cell, 32) || !isStr(level, 32) || !isOptionalText(backend, 100))
    return undefined;
  // Every layer has units: the selectors offer neurons 0 … units − 1 of each.
  if (!isIntList(layers, 1_000) || layers.length === 0 || layers.some((u) => u === 0)) return undefined;
  if (!isInt(parameters, Number.MAX_SAFE_INTEGER) || !isInt(vocabulary)) return undefined;
  const okComponents =
    Array.isArray(components) &&
    components.length > 0 &&
    components.length <= 100 &&
    components.every((c: unknown) => isRecord(c) && isComponentId(c.id) && isStr(c.label, 200));
  if (!okComponents) return undefined;
  if (backwardLayers !== undefined && !isIntList(backwardLayers, layers.length, layers.length)) return undefined;
  const training = parseTraining(x.training);
  if (x.training !== undefined && !training) return undefined;
  return {
    name,
    ...(dir !== undefined ? { dir } : {}),
    cell,
    level,
    layers,
    parameters,
    vocabulary,
    components: (components as { id: string; label: string }[]).map((c) => ({ id: c.id, label: c.label })),
    ...(backwardLayers !== undefined ? { backwardLayers } : {}),
    ...(training ? { training } : {}),
    ...(backend !== undefined ? { backend } : {}),
  };
}

function parseSelection(x: unknown): SidePanelSelection | undefined {
  if (!isRecord(x)) return undefined;
  const { layer, component, neuron } = x;
  return isIndex(layer) && isComponentId(component) && isIndex(neuron) ? { layer, component, neuron } : undefined;
}

/** Every neuron of one component: sparklines must be units × points, mean and spread one per neuron. */
function parseNeurons(x: unknown): SidePanelNeurons | undefined {
  if (!isRecord(x)) return undefined;
  const { document, layer, component, units, tokens, truncated, points, sparklines, lo, hi, baseline, mean, std } = x;
  const ok =
    isStr(document, MAX_TEXT) &&
    isIndex(layer) &&
    isComponentId(component) &&
    isIndex(units) &&
    units > 0 &&
    isInt(tokens) &&
    typeof truncated === 'boolean' &&
    isInt(points, MAX_POINTS + 1) &&
    points <= tokens &&
    isArrayOf(sparklines, Float32Array, units * points) &&
    isFiniteNumber(lo) &&
    isFiniteNumber(hi) &&
    lo <= hi &&
    isFiniteNumber(baseline) &&
    isArrayOf(mean, Float32Array, units) &&
    isArrayOf(std, Float32Array, units);
  return ok ? { document, layer, component, units, tokens, truncated, points, sparklines, lo, hi, baseline, mean, std } : undefined;
}

/**
 * Checks a message for the side panel. The page trusts only what passes: a sparkline matrix of the
 * wrong size or a model without layers would otherwise draw garbage or throw mid-render.
 */
export function parseToSidePanel(m: unknown): ToSidePanel | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.type) {
    case 'model': {
      if (!isOptionalText(m.loading, 1_000)) return undefined;
      const loading = m.loading !== undefined ? { loading: m.loading } : {};
      if (m.model === null) return { type: 'model', model: null, ...loading };
      const model = parseModel(m.model);
      return model && { type: 'model', model, ...loading };
    }
    case 'selection': {
      if (m.selection === null) return { type: 'selection', selection: null };
      const selection = parseSelection(m.selection);
      return selection && { type: 'selection', selection };
    }
    case 'features': {
      const { features, file, exists, problem } = m;
      return isStrList(features, MAX_FEATURES, MAX_TEXT) && isStr(file, MAX_TEXT) && typeof exists === 'boolean' && isOptionalText(problem)
        ? { type: 'features', features, file, exists, ...(problem !== undefined ? { problem } : {}) }
        : undefined;
    }
    case 'neurons': {
      const data = parseNeurons(m.data);
      return data && { type: 'neurons', data };
    }
    case 'neuronsStatus':
      return isStr(m.message, MAX_TEXT) && typeof m.busy === 'boolean'
        ? { type: 'neuronsStatus', message: m.message, busy: m.busy }
        : undefined;
    default:
      return undefined;
  }
}
