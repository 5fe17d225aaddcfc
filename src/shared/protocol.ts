/**
 * Messages between the extension host and the engine worker, defined once for both ends. Every
 * request carries an id; the worker answers with progress messages and exactly one result or
 * error for that id. Plain data only (structured clone): numbers cross as typed arrays, never as
 * JSON arrays or tensors.
 */
import type { Experiment, ExperimentFileState } from '../engine/experiment';
import type { GenerationEffect, NextTokenEffect } from '../engine/intervention';
import type { TopContext } from '../engine/topContexts';
import type { FoolResult } from '../engine/optimization/fooling';
import type { MaximizeResult } from '../engine/optimization/activationMaximization';
import type { InversionResult } from '../engine/optimization/featureInversion';
import type { SpanMatch } from '../engine/patternSearch';
import type { MaximizeOptions as ImageMaximizeSettings } from '../engine/vision/activationMaximization';
import type { FoolOptions as ImageFoolSettings } from '../engine/vision/foolingImage';
import type { InvertOptions as ImageInvertSettings } from '../engine/vision/featureInversion';
import type { DreamOptions as ImageDreamSettings } from '../engine/vision/deepDream';
import type {
  ImageActivationsResult,
  ImageDreamResult,
  ImageFoolResult,
  ImageInputRef,
  ImageInvertResult,
  ImageMaximizeResult,
  ImageModelDescription,
  ImageSaliencyResult,
} from '../engine/vision/imageRequests';

export type { FoolResult, GenerationEffect, InversionResult, MaximizeResult, NextTokenEffect, SpanMatch, TopContext };
import type { ModelSummary } from './modelSummary';
import type { HeatmapData, RelevanceData, SpectraData } from './panelMessages';

export const PROTOCOL_VERSION = 2;

/** A component of one layer: `h`, `c`, `i`, `f`, `g`, `o` (LSTM), `z`, `r`, `n` (GRU), `pre` (RNN). */
export interface ComponentRef {
  layer: number;
  component: string;
}

/** Where the training text comes from. */
export type CorpusSource =
  | { kind: 'default' }
  /** Text the host already has (the active editor's document). */
  | { kind: 'text'; name: string; text: string }
  /** Files the worker reads itself (binary and oversized files are refused with a message). */
  | { kind: 'files'; name: string; paths: string[] };

export interface TrainParams {
  corpus: CorpusSource;
  cell: 'rnn' | 'lstm' | 'gru';
  level: 'char' | 'word';
  hiddenSize: number;
  numLayers: number;
  steps: number;
  seqLen?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  /** Folder the checkpoints and the final model are written to (created if missing). */
  out: string;
  /**
   * Continue the training checkpoint in `out` (its tokenizer, weights and optimizer state) up to
   * `steps` in all, on `corpus`, instead of starting afresh.
   */
  resume?: boolean;
  /**
   * Light weight snapshots kept in `out/snapshots/` for following neurons across training: one at
   * every checkpoint, thinned evenly to at most this many (first and last kept); 0 keeps none.
   * Default 20.
   */
  maxSnapshots?: number;
}

/** Streamed while training: one per step (the host throttles what it shows). */
export interface TrainProgressData {
  step: number;
  totalSteps: number;
  trainBits: number;
  validationBits?: number;
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface AnalyzeParams extends ComponentRef {
  /** Identifies the document across calls (its URI); the worker keeps a causal cache per id. */
  docId: string;
  /** The document's version, echoed back so the host can drop stale answers. */
  version: number;
  text: string;
  /** Tokens beyond this are not analysed; the result says so. */
  maxTokens: number;
  /**
   * Stop once the token containing this UTF-16 offset is computed (e.g. the end of the visible
   * range). A later call without it continues from where this one stopped.
   */
  untilOffset?: number;
}

export interface AnalyzeResult {
  docId: string;
  version: number;
  /** The active model's id; it changes when another model is loaded or trained. */
  modelId: number;
  units: number;
  /** Tokens of the (possibly truncated) text: [start, end) UTF-16 offsets into `text`. */
  starts: Int32Array;
  ends: Int32Array;
  /** Tokens whose values are known: a prefix of the tokens (all of them unless untilOffset stopped early). */
  computed: number;
  /** First token recomputed by this call (tokens before it came from the causal cache). */
  recomputedFrom: number;
  /** The text had more tokens than maxTokens. */
  truncated: boolean;
  /** Total tokens in the text, before truncation. */
  totalTokens: number;
}

/** Summary statistics of one neuron over a document's computed tokens. */
export interface NeuronStats {
  neuron: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Texts of the tokens with the highest values, most active first, distinct. */
  topTokens: string[];
}

export interface NeuronValuesResult {
  modelId: number;
  /** One value per computed token. */
  values: Float32Array;
  stats: NeuronStats;
  /** 99th percentile of |value| over the document: the per-neuron robust colour scale. */
  robustScale: number;
  /** How the component's values are bounded: picks the fixed colour scale. */
  range: 'signed' | 'unit' | 'unbounded';
}

/** A neuron's values in another model, with that model's token offsets (the caller checks they match its own). */
export interface NeuronValuesInModelResult {
  values: Float32Array;
  robustScale: number;
  range: 'signed' | 'unit' | 'unbounded';
  starts: Int32Array;
  ends: Int32Array;
  level: 'char' | 'word';
}

export interface TokenNeuronsResult {
  token: { text: string; start: number; end: number; index: number };
  /** The neurons with the largest |value| at this token, largest first. */
  top: { neuron: number; value: number }[];
}

export interface NeuronRanking {
  /** How many tokens matched. */
  matches: number;
  /** Neurons ordered by |score|, most specific first. */
  neurons: { neuron: number; score: number; meanIn: number; meanOut: number }[];
  /** What the score is, for the UI. */
  statistic: string;
}

/** A neuron of the active model. */
export interface NeuronRef extends ComponentRef {
  neuron: number;
}

/** Texts a corpus-wide request reads: the default corpus, or files the worker reads itself. */
export type CorpusFiles = { kind: 'default' } | { kind: 'files'; paths: string[] };

export interface TopContextsResult {
  modelId: number;
  /** Highest values first; `file` is the path the worker read (or "moby-dick"). */
  most: TopContext[];
  /** Lowest values first. */
  least: TopContext[];
  tokens: number;
  /** Files that were not text (binary, empty, too large), with the reason. */
  skipped: { file: string; reason: string }[];
  /** The neuron's component's value range (picks a colour scale for the snippets' values). */
  range: 'signed' | 'unit' | 'unbounded';
}

/**
 * What a saliency request explains: a neuron at the last token of the window, a language model's
 * score for the token after it, or a classifier's class score (class `index`'s logit pooled as its
 * head pools it, over the first maxTokens tokens: the prediction `classify` makes of the same text).
 */
export type SaliencyTarget =
  { kind: 'neuron'; layer: number; component: string; neuron: number } | { kind: 'next-token' } | { kind: 'class'; index: number };

export interface SaliencyResult {
  modelId: number;
  /** The window's tokens: [start, end) offsets into the request's text. */
  starts: Int32Array;
  ends: Int32Array;
  /** One attribution per token of the window. */
  scores: Float32Array;
  /** What was explained, e.g. `layer 0 h neuron 5 (last token)` or `next-token logit of "e"`. */
  target: string;
  method: 'ig' | 'grad' | 'grad-x-input';
  targetValue: number;
  /** Integrated gradients only: the baseline's target value and Σ attributions − (target − baseline). */
  baselineValue?: number;
  completenessGap?: number;
}

export interface InterventionParams {
  text: string;
  layer: number;
  component: 'h' | 'c';
  units: number[];
  mode: 'zero' | 'mean' | 'clamp';
  value?: number;
  /** Every token, or only the tokens matching a feature of interest. */
  where: 'all' | { feature: string };
  /** Character offset whose next-token distribution is compared. */
  offset: number;
  top: number;
  generateLength: number;
  seed: number;
}

export interface InterventionResult {
  modelId: number;
  loss: {
    predicted: number;
    baselineBits: number;
    intervenedBits: number;
    baselineBitsPerChar: number;
    intervenedBitsPerChar: number;
    changed: number;
    largest: { position: number; token: string; baselineBits: number; intervenedBits: number }[];
  };
  next: NextTokenEffect;
  generation: GenerationEffect;
}

export interface PatternSearchParams {
  /** The analysed document the query span is in (its analysed component is the one searched). */
  docId: string;
  /** Character range of the query span. */
  start: number;
  end: number;
  /** The neurons whose pattern is matched; when absent, the `propose` most specific to the span. */
  neurons?: number[];
  propose: number;
  threshold: number;
  top: number;
  /** Other files to search (the query's document is always searched). */
  paths: string[];
}

export interface PatternSearchResult {
  modelId: number;
  neurons: number[];
  threshold: number;
  windows: number;
  /** `path` is the file's path, or undefined for the query's own document. */
  matches: (SpanMatch & { path?: string })[];
  /** Files that were skipped (not text), with the reason. */
  skipped: string[];
}

export interface NeuronClusterSummary {
  neurons: number[];
  label: string;
  topTokens: { text: string; mean: number; count: number }[];
  features: { feature: string; correlation: number }[];
  /** The cluster's value at each analysed token of the document. */
  factor: Float32Array;
}

/** One neuron across training: what neuronHistory asks for. */
export interface NeuronHistoryParams extends NeuronRef {
  /** A model folder (absolute path); the active model's folder when absent. */
  dir?: string;
  text: string;
  /** Features of interest whose Cohen's d is followed over the checkpoints. */
  features?: string[];
  /** |d| a feature must keep, from some checkpoint on, to count as emerged (default 1). */
  threshold?: number;
}

export interface NeuronHistoryResult {
  /** The folder whose snapshots were read. */
  dir: string;
  /** The active model's id, when its folder was the one read. */
  modelId?: number;
  layer: number;
  component: string;
  neuron: number;
  /** How the component's values are bounded: picks the colour scale. */
  range: 'signed' | 'unit' | 'unbounded';
  /** 99th percentile of |value| over every checkpoint's trace: one colour scale for all of them. */
  robustScale: number;
  /** The text's tokens: [start, end) offsets into the request's text. */
  starts: Int32Array;
  ends: Int32Array;
  /** The checkpoints, oldest first: each snapshot, then the folder's own weights when they are newer. */
  rows: { step: number; source: 'snapshot' | 'model'; validationBits?: number; mean: number; std: number; d: number[] }[];
  /** rows × tokens, row-major: the neuron's value after each token at each checkpoint. */
  traces: Float32Array;
  /** Per feature: how many tokens match it, and the first step from which |d| stays above the threshold. */
  features: { feature: string; matches: number; emergedAt: number | null }[];
  threshold: number;
}

/** Request methods, their parameters, results and progress payloads. */
export interface EngineMethods {
  hello: { params: { backend: string }; result: { backend: string; protocol: number }; progress: never };
  modelInfo: { params: { dir: string }; result: ModelSummary; progress: never };
  /** Loads a model folder and makes it the active model for all analyses. */
  loadModel: { params: { dir: string }; result: ModelSummary & { modelId: number }; progress: never };
  /** Writes the active model to a folder (atomically). */
  saveModel: { params: { dir: string }; result: ModelSummary & { modelId: number }; progress: never };
  /**
   * Imports a TensorFlow.js Layers model (model.json + shards, optional vocabulary file) into a new
   * model folder `out`; the host then loads it like any model folder.
   */
  importLayersModel: {
    /** `classes`: a classifier's class-names file (JSON list or one per line). */
    params: { modelJson: string; vocab?: string; level?: 'char' | 'word'; classes?: string; out: string };
    result: { dir: string; description: string; notes: string[]; mapping: string[] };
    progress: never;
  };
  /** Trains a model, saves it to `out` and makes it the active model. */
  train: { params: TrainParams; result: ModelSummary & { modelId: number }; progress: TrainProgressData };
  /** The active model, if any. */
  activeModel: { params: Record<string, never>; result: (ModelSummary & { modelId: number }) | null; progress: never };
  analyze: { params: AnalyzeParams; result: AnalyzeResult; progress: never };
  /** One neuron's values over an analysed document's computed tokens. */
  neuronValues: { params: { docId: string; neuron: number }; result: NeuronValuesResult; progress: never };
  /** A neuron of another model folder on a text (the same neuron in two models); the folder stays loaded between calls. */
  neuronValuesInModel: {
    params: { dir: string; text: string; layer: number; component: string; neuron: number };
    result: NeuronValuesInModelResult;
    progress: never;
  };
  /** Statistics for every neuron of the analysed component (for the neuron picker). */
  describeNeurons: { params: { docId: string; topTokens: number }; result: { modelId: number; neurons: NeuronStats[] }; progress: never };
  /** The most active neurons at one token (for hovers). */
  tokenNeurons: { params: { docId: string; offset: number; k: number }; result: TokenNeuronsResult | null; progress: never };
  /** Neurons ranked by how specifically they respond to tokens equal to the text in [start, end). */
  rankNeuronsForSelection: { params: { docId: string; start: number; end: number }; result: NeuronRanking; progress: never };
  /** Samples text from the active model (the host then analyses it like any document). */
  generate: {
    params: { prime: string; length: number; temperature: number; seed: number };
    result: { text: string };
    progress: never;
  };
  closeDocument: { params: { docId: string }; result: null; progress: never };
  /** The analysed component's tokens × neurons matrix (or tokens [from, to)), for the heatmap. */
  componentMatrix: {
    params: { docId: string; from?: number; to?: number };
    result: Omit<HeatmapData, 'title' | 'selectedNeuron'> & { modelId: number };
    progress: never;
  };
  /** Relevance of every neuron to each feature of interest, with top-k hypotheses. */
  relevanceTable: {
    /**
     * Every score gets a permutation p-value and a Benjamini–Hochberg q-value across neurons:
     * `permutations` draws (default 1,000; 0 turns the test off) under `nullModel` ('shuffle' or
     * 'circular-shift'), seeded; q ≤ `fdr` (default 0.05) marks a hypothesis significant.
     */
    params: {
      docId: string;
      features: string[];
      statistic: string;
      topK: number;
      permutations?: number;
      fdr?: number;
      nullModel?: string;
      seed?: number;
    };
    result: RelevanceData & { modelId: number };
    progress: never;
  };
  /** Spectra of neuron activity over the document's tokens, peaks, band ranking. */
  spectra: {
    params: { docId: string; neurons?: number[]; band: [number, number]; window: 'none' | 'hann'; scale: 'power' | 'amplitude' };
    result: Omit<SpectraData, 'title'> & { modelId: number };
    progress: never;
  };
  /** The k places of a corpus where one neuron is most and least active. */
  topContexts: {
    params: NeuronRef & { corpus: CorpusFiles; top: number; window: number };
    result: TopContextsResult;
    progress: never;
  };
  /** Attribution of a target at the window's last token to each token of the window. */
  saliency: {
    /**
     * The window is the tokens of `text` that end at or before `offset` (the last 256 of them; for
     * a class target the first maxTokens, as the classifier reads them); the next-token target is
     * the token after them.
     */
    params: { text: string; offset: number; target: SaliencyTarget; method: 'ig' | 'grad' | 'grad-x-input'; steps: number };
    result: SaliencyResult;
    progress: never;
  };
  /** Loss, next-token and generation effects of ablating or clamping neurons (weights untouched). */
  intervene: { params: InterventionParams; result: InterventionResult; progress: never };
  /** Spans whose on/off pattern of the chosen neurons matches the query span's. */
  searchPattern: { params: PatternSearchParams; result: PatternSearchResult; progress: never };
  /** A text classifier's class probabilities for a text (the active file or a selection). */
  classify: {
    params: { text: string };
    result: {
      modelId: number;
      probabilities: { label: string; probability: number }[];
      predicted: string;
      tokens: number;
      classifiedTokens: number;
    };
    progress: never;
  };
  /** Token sequences that drive a neuron as high as it goes (softmax relaxation, several starts). */
  maximize: {
    params: NeuronRef & { position: 'last' | 'every'; length: number; starts: number; steps: number; seed: number };
    /** `range`: the target component's value range (picks a colour scale for the traces). */
    result: MaximizeResult & { modelId: number; range: 'signed' | 'unit' | 'unbounded' };
    progress: never;
  };
  /**
   * Feature inversion: token sequences whose state at their last token matches the state `text`
   * leaves in a layer's component (default the last layer, `h`). `textTokens` are the tokens read
   * (a classifier reads only its first maxTokens); `range` is the component's value range.
   */
  invert: {
    params: { text: string; layer?: number; component?: string; length: number; starts: number; steps: number; seed: number };
    result: InversionResult & { modelId: number; textTokens: string[]; range: 'signed' | 'unit' | 'unbounded' };
    progress: never;
  };
  /** A few token substitutions that change a classifier's prediction (HotFlip); the text itself is untouched. */
  fool: { params: { text: string; targetClass?: number; maxFlips: number }; result: FoolResult & { modelId: number }; progress: never };
  /** Trains skip-gram word vectors on a corpus and writes them (word2vec text format) to `out`. */
  trainWordVectors: {
    params: { corpus: CorpusSource; dim: number; epochs: number; out: string };
    result: { file: string; words: number; dim: number; epochs: { epoch: number; loss: number }[]; elapsedMs: number; cancelled: boolean };
    progress: never;
  };
  /** Nearest words to a word, or the words completing an analogy a : b :: c : ?, in a vectors file. */
  wordNeighbours: {
    params: { file: string; word?: string; analogy?: [string, string, string]; top: number };
    result: { neighbours: { word: string; similarity: number }[]; words: number; dim: number };
    progress: never;
  };
  /** Trains a text classifier on labelled data (a file, a folder of class folders, or `spam-assassin`), saves it to `out` and makes it active. */
  trainClassifier: {
    params: { data: string; out: string; epochs?: number };
    result: ModelSummary & { modelId: number; validationAccuracy?: number };
    progress: never;
  };
  /** Clusters of the analysed component's neurons by their activity over the document. */
  clusterNeurons: {
    params: { docId: string; k: number; method: 'kmeans' | 'nmf'; seed: number; features: string[] };
    result: { modelId: number; clusters: NeuronClusterSummary[]; starts: Int32Array; ends: Int32Array };
    progress: never;
  };
  /** An experiment file (absolute path): its experiment, or the defaults when it is missing or unusable (`problem` says why). */
  readExperiment: { params: { file: string }; result: ExperimentFileState; progress: never };
  /**
   * Changes fields of an experiment file and writes it atomically, creating it with the defaults
   * if missing. A file that does not parse or validate is left alone: the request fails with why.
   */
  updateExperiment: { params: { file: string; changes: Partial<Experiment> }; result: Experiment; progress: never };
  /** One neuron on one text at every training snapshot of a model folder, with each feature's d and when it emerged. */
  neuronHistory: { params: NeuronHistoryParams; result: NeuronHistoryResult; progress: never };
  /** An image model folder's classes, layers and input shape (it stays loaded for the image requests below). */
  imageModelInfo: { params: { dir: string }; result: ImageModelDescription; progress: never };
  /** An image model's prediction and every layer's activations for a test digit or an image file. */
  imageActivations: { params: { dir: string; input: ImageInputRef; top: number }; result: ImageActivationsResult; progress: never };
  /** A gallery: the units of a layer (all unless `units`) maximised from noise, with the regulariser settings used. */
  imageMaximize: {
    params: {
      dir: string;
      layer: string;
      units?: number[];
      spatial?: 'centre' | 'mean';
      settings?: Partial<Omit<ImageMaximizeSettings, 'signal'>>;
    };
    result: ImageMaximizeResult;
    progress: never;
  };
  /** Saliency of the input's pixels for a class (default: the predicted one). */
  imageSaliency: { params: { dir: string; input: ImageInputRef; classIndex?: number }; result: ImageSaliencyResult; progress: never };
  /** A fooling image: the input changed by gradient steps until the model predicts `target`. */
  imageFool: {
    params: { dir: string; input: ImageInputRef; target: number; settings?: Partial<Omit<ImageFoolSettings, 'signal'>> };
    result: ImageFoolResult;
    progress: never;
  };
  /**
   * Feature inversion: an image, from noise, whose features at `layer` match the input's, with the
   * relative error before and after and the settings used. Progress per step; a cancelled one
   * returns the reconstruction so far.
   */
  imageInvert: {
    params: { dir: string; input: ImageInputRef; layer: string; settings?: Partial<Omit<ImageInvertSettings, 'signal'>> };
    result: ImageInvertResult;
    progress: never;
  };
  /** DeepDream: the input after gradient ascent on ½‖a‖² of `layer`. Progress per step; a cancelled one returns the image so far. */
  imageDream: {
    params: { dir: string; input: ImageInputRef; layer: string; settings?: Partial<Omit<ImageDreamSettings, 'signal'>> };
    result: ImageDreamResult;
    progress: never;
  };
}

export type MethodName = keyof EngineMethods;

export type EngineRequest = {
  [M in MethodName]: { type: 'request'; id: number; method: M; params: EngineMethods[M]['params'] };
}[MethodName];

export type HostMessage = EngineRequest | { type: 'cancel'; id: number };

export type WorkerMessage =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string; code: string; userError: boolean }
  | { type: 'progress'; id: number; message?: string; fraction?: number; data?: unknown };

/** What a progress callback receives for method M. */
export interface Progress<M extends MethodName> {
  message?: string;
  fraction?: number;
  data?: EngineMethods[M]['progress'];
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as Record<string, unknown>;
  return typeof x.id === 'number' && (x.type === 'result' || x.type === 'error' || x.type === 'progress');
}

export function isHostMessage(m: unknown): m is HostMessage {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as Record<string, unknown>;
  if (typeof x.id !== 'number') return false;
  return x.type === 'cancel' || (x.type === 'request' && typeof x.method === 'string' && typeof x.params === 'object' && x.params !== null);
}
