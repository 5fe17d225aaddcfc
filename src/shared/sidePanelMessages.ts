/**
 * Messages between the extension and the Neuron Lens side panel (the webview view in the activity
 * bar), defined once for both ends. Plain data only; numbers in bulk travel as typed arrays. This
 * file is compiled into the webview too, so it imports nothing (no Node, no engine types).
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

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1e6;

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
      // Component ids are short lowercase names (h, c, i, f, g, o, z, r, n, pre).
      return isIndex(x.layer) && isIndex(x.neuron) && typeof x.component === 'string' && /^[a-z]{1,16}$/.test(x.component)
        ? { type: 'selectNeuron', layer: x.layer, component: x.component, neuron: x.neuron }
        : undefined;
    case 'runCommand':
      return isSidePanelCommand(x.command) ? { type: 'runCommand', command: x.command } : undefined;
    default:
      return undefined;
  }
}
