import type { ModelSummary } from '../shared/modelSummary';
import type {
  AnalyzeParams,
  AnalyzeResult,
  EngineMethods,
  NeuronRanking,
  Progress,
  TokenNeuronsResult,
  TrainParams,
} from '../shared/protocol';
import * as path from 'node:path';
import { ActiveModel } from './activeModel';
import { activeBackend } from './backend';
import { robustScale } from './colourScale';
import { DocumentSession } from './documentSession';
import { NeuronLensError, throwIfAborted } from './errors';
import { loadExperimentFile, updateExperimentFile } from './experiment';
import { runClassifierTraining } from './classifier/classifierRun';
import { WordVectorQueries, trainWordVectorsRequest } from './embeddings/embeddingRequests';
import { generate } from './generator';
import {
  classifyRequest,
  clusterNeuronsRequest,
  foolRequest,
  interveneRequest,
  invertRequest,
  maximizeRequest,
  saliencyRequest,
  searchPatternRequest,
  topContextsRequest,
} from './investigations';
import { importLayersModelToFolder } from './layersImport';
import { type LoadedModel, loadModel, saveModel } from './modelFolder';
import { summarizeModel } from './modelSummary';
import { checkNeuron, describeNeurons, internTexts, neuronColumn, neuronStats, topNeuronsAt } from './neuronStats';
import { neuronHistoryRequest } from './neuronHistoryRequest';
import { SecondModel, neuronValuesInModel } from './secondModel';
import { requireInteger, requireNumber, requireOneOf, requireString } from './requestChecks';
import { componentMatrix, documentSpectra, relevanceTable } from './panelAnalyses';
import { rankNeuronsForSelection } from './selectionRanking';
import { SerialQueue } from './serialQueue';
import { TOKEN_LEVELS } from './tokenizer';
import { trainingRunOptions } from './trainingRequest';
import { runTraining } from './trainingRun';
import {
  ImageModelCache,
  describeImageModel,
  imageActivationsRequest,
  imageDreamRequest,
  imageFoolRequest,
  imageInvertRequest,
  imageMaximizeRequest,
  imageSaliencyRequest,
} from './vision/imageRequests';

type Active = ModelSummary & { modelId: number };
type Result<M extends keyof EngineMethods> = Promise<EngineMethods[M]['result']>;

/**
 * Generation is one synchronous loop (tfjs steps without awaits), so it cannot see a cancel:
 * its length is kept to what takes seconds, not minutes, on a CPU.
 */
export const MAX_EDITOR_GENERATE_LENGTH = 5000;
/** Top token texts reported with one neuron's values. */
const TOP_TOKENS_WITH_VALUES = 5;

/**
 * What the engine worker holds between requests: the active model and one causal cache per open
 * document, and the protocol's methods over them. Everything that reads or replaces them runs
 * through one queue, so an analysis never sees its model disposed or its cache changed by another
 * request in the middle. Training runs outside the queue (analyses go on with the current model
 * meanwhile) and only its final swap is queued.
 *
 * Typed arrays in results are always fresh copies: the worker transfers them to the host.
 */
export class EngineSession {
  private active: ActiveModel | undefined;
  private nextModelId = 1;
  private readonly documents = new Map<string, DocumentSession>();
  private readonly queue = new SerialQueue();
  private training = false;
  /** Experiment files are read and rewritten apart from the analyses, one request at a time. */
  private readonly experimentFiles = new SerialQueue();
  private readonly wordVectors = new WordVectorQueries();
  /** Image models (not the active text model), by folder; their requests run one at a time, apart from the text model's. */
  private readonly imageModels = new ImageModelCache();
  private readonly imageQueue = new SerialQueue();
  /** The comparison's second model folder, on its own queue: it never touches the active model. */
  private readonly secondModel = new SecondModel();
  private readonly secondModelQueue = new SerialQueue();

  async modelInfo({ dir }: { dir: string }): Result<'modelInfo'> {
    const loaded = await loadModel(requireString(dir, 'dir', { nonEmpty: true }));
    try {
      return summarizeModel(loaded);
    } finally {
      disposeLoaded(loaded);
    }
  }

  async loadModel({ dir }: { dir: string }, signal?: AbortSignal): Result<'loadModel'> {
    const loaded = await loadModel(requireString(dir, 'dir', { nonEmpty: true }));
    if (signal?.aborted) {
      disposeLoaded(loaded);
      throwIfAborted(signal, 'Loading the model');
    }
    return this.queue.run(() => this.activate(loaded));
  }

  saveModel({ dir }: { dir: string }): Result<'saveModel'> {
    return this.queue.run(async () => {
      const active = this.requireModel();
      const target = requireString(dir, 'dir', { nonEmpty: true });
      const { model, tokenizer, training, optimizerWeights } = active.loaded;
      await saveModel(target, { model, tokenizer, training, optimizerWeights });
      active.loaded.dir = target;
      return active.summary();
    });
  }

  /** Runs outside the queue: it writes a new folder and leaves the active model alone. */
  async importLayersModel(params: EngineMethods['importLayersModel']['params']): Result<'importLayersModel'> {
    const vocab = params.vocab === undefined ? undefined : requireString(params.vocab, 'vocab', { nonEmpty: true });
    const level = params.level === undefined ? undefined : requireOneOf(params.level, 'level', TOKEN_LEVELS);
    const classes = params.classes === undefined ? undefined : requireString(params.classes, 'classes', { nonEmpty: true });
    return importLayersModelToFolder({
      modelJson: requireString(params.modelJson, 'modelJson', { nonEmpty: true }),
      vocab,
      level,
      classes,
      out: requireString(params.out, 'out', { nonEmpty: true }),
    });
  }

  activeModel(): Result<'activeModel'> {
    return Promise.resolve(this.active?.summary() ?? null);
  }

  /**
   * Trains, then makes the model in `out` the active one: what is on disk is what the host
   * reloads after a worker restart, so the active model is read back from there. A cancelled run
   * still ends with its last checkpoint active; a diverged one leaves the previous model active.
   */
  async train(params: TrainParams, signal?: AbortSignal, onProgress?: (p: Progress<'train'>) => void): Result<'train'> {
    if (this.training) throw new NeuronLensError('A model is already being trained: wait for it to finish or cancel it first');
    this.training = true;
    try {
      const options = trainingRunOptions(params);
      const unit = options.level === 'char' ? 'bits/char' : 'bits/token';
      const run = await runTraining({
        ...options,
        backend: activeBackend(),
        signal,
        onProgress: (p) =>
          onProgress?.({
            message: `step ${p.step}/${p.totalSteps} · ${p.trainBits.toFixed(2)} ${unit}`,
            fraction: p.step / p.totalSteps,
            data: {
              step: p.step,
              totalSteps: p.totalSteps,
              trainBits: p.trainBits,
              validationBits: p.validationBits,
              tokensPerSecond: p.tokensPerSecond,
              elapsedMs: p.elapsedMs,
            },
          }),
      });
      run.loaded.model.dispose();
      const loaded = await loadModel(options.out);
      return await this.queue.run(() => this.activate(loaded));
    } finally {
      this.training = false;
    }
  }

  /** Runs outside the queue: it writes a vectors file and leaves the active model alone. */
  trainWordVectors(
    params: EngineMethods['trainWordVectors']['params'],
    signal?: AbortSignal,
    progress?: (p: Progress<'trainWordVectors'>) => void,
  ) {
    return trainWordVectorsRequest(params, signal, (message, fraction) => progress?.({ message, fraction }));
  }

  async wordNeighbours(params: EngineMethods['wordNeighbours']['params']): Result<'wordNeighbours'> {
    return this.wordVectors.neighbours(params);
  }

  /** Like train: the classifier is trained outside the queue, saved to `out`, then loaded from there and made active. */
  async trainClassifier(
    params: EngineMethods['trainClassifier']['params'],
    signal?: AbortSignal,
    onProgress?: (p: Progress<'trainClassifier'>) => void,
  ): Result<'trainClassifier'> {
    if (this.training) throw new NeuronLensError('A model is already being trained: wait for it to finish or cancel it first');
    this.training = true;
    try {
      const out = requireAbsolutePath(params.out);
      const epochs = params.epochs === undefined ? undefined : requireInteger(params.epochs, 'epochs', 1, 1000);
      const run = await runClassifierTraining({
        data: requireString(params.data, 'data', { nonEmpty: true }),
        out,
        epochs,
        backend: activeBackend(),
        signal,
        onProgress: (p) =>
          onProgress?.({
            message: `epoch ${p.epoch}/${p.totalEpochs} · loss ${p.loss.toFixed(3)} · ${Math.round(p.examplesPerSecond)} examples/s`,
            fraction: p.step / p.totalSteps,
          }),
      });
      run.model.dispose();
      const loaded = await loadModel(out);
      const summary = await this.queue.run(() => this.activate(loaded));
      return { ...summary, validationAccuracy: run.result.validation?.accuracy };
    } finally {
      this.training = false;
    }
  }

  analyze(params: AnalyzeParams, signal?: AbortSignal): Promise<AnalyzeResult> {
    return this.queue.run(() => {
      throwIfAborted(signal, 'Analysis');
      const model = this.requireModel();
      const docId = requireString(params.docId, 'docId', { nonEmpty: true });
      let doc = this.documents.get(docId);
      if (!doc) {
        doc = new DocumentSession(docId);
        this.documents.set(docId, doc);
      }
      return doc.analyze(model, params, signal);
    });
  }

  neuronValuesInModel(params: EngineMethods['neuronValuesInModel']['params'], signal?: AbortSignal): Result<'neuronValuesInModel'> {
    return this.secondModelQueue.run(() => {
      if (!path.isAbsolute(String(params.dir))) throw new NeuronLensError(`dir must be an absolute path (got ${String(params.dir)})`);
      return neuronValuesInModel(this.secondModel, params, signal);
    });
  }

  neuronValues({ docId, neuron }: { docId: string; neuron: number }): Result<'neuronValues'> {
    return this.queue.run(() => {
      const doc = this.requireDocument(docId);
      checkNeuron(neuron, doc.units, doc.layer);
      const values = neuronColumn(doc.values, doc.units, neuron);
      const texts = internTexts(doc.tokens.slice(0, doc.computed).map((t) => t.text));
      return {
        modelId: doc.analysedWith,
        values,
        stats: neuronStats(values, neuron, texts, TOP_TOKENS_WITH_VALUES),
        robustScale: robustScale(values),
        range: doc.range,
      };
    });
  }

  describeNeurons({ docId, topTokens }: { docId: string; topTokens: number }): Result<'describeNeurons'> {
    return this.queue.run(() => {
      const doc = this.requireDocument(docId);
      const k = requireInteger(topTokens, 'topTokens', 0, 100);
      const texts = internTexts(doc.tokens.slice(0, doc.computed).map((t) => t.text));
      return { modelId: doc.analysedWith, neurons: describeNeurons(doc.values, doc.units, texts, k) };
    });
  }

  tokenNeurons({ docId, offset, k }: { docId: string; offset: number; k: number }): Promise<TokenNeuronsResult | null> {
    return this.queue.run(() => {
      const doc = this.requireDocument(docId);
      const at = requireInteger(offset, 'offset', 0);
      const count = requireInteger(k, 'k', 1);
      const tokens = doc.tokens;
      let lo = 0;
      let hi = doc.computed;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (tokens[mid]!.end > at) hi = mid;
        else lo = mid + 1;
      }
      if (lo >= doc.computed || tokens[lo]!.start > at) return null;
      const token = tokens[lo]!;
      return {
        token: { text: token.text, start: token.start, end: token.end, index: lo },
        top: topNeuronsAt(doc.values, doc.units, lo, count),
      };
    });
  }

  rankNeuronsForSelection({ docId, start, end }: { docId: string; start: number; end: number }): Promise<NeuronRanking> {
    return this.queue.run(() => {
      const doc = this.requireDocument(docId);
      const from = requireInteger(start, 'start', 0);
      const to = requireInteger(end, 'end', from);
      return rankNeuronsForSelection(doc.values, doc.units, doc.tokens.slice(0, doc.computed), from, to);
    });
  }

  generate(params: { prime: string; length: number; temperature: number; seed: number }, signal?: AbortSignal): Result<'generate'> {
    return this.queue.run(async () => {
      throwIfAborted(signal, 'Generation');
      const active = this.requireModel();
      const generation = await generate(active.loaded, {
        prime: requireString(params.prime, 'prime'),
        length: requireInteger(params.length, 'length', 1, MAX_EDITOR_GENERATE_LENGTH),
        temperature: requireNumber(params.temperature, 'temperature', 0, 100),
        seed: requireInteger(params.seed, 'seed', Number.MIN_SAFE_INTEGER),
        // Only the text is wanted: record the smallest thing there is.
        layers: [0],
        components: ['h'],
        signal,
      });
      return { text: generation.text };
    });
  }

  closeDocument({ docId }: { docId: string }): Result<'closeDocument'> {
    return this.queue.run(() => {
      this.documents.delete(docId);
      return null;
    });
  }

  componentMatrix({ docId, from, to }: EngineMethods['componentMatrix']['params']): Result<'componentMatrix'> {
    return this.queue.run(() => componentMatrix(this.requireDocument(docId), from, to));
  }

  relevanceTable({ docId, features, statistic, topK, ...test }: EngineMethods['relevanceTable']['params']): Result<'relevanceTable'> {
    return this.queue.run(() => relevanceTable(this.requireDocument(docId), features, statistic, topK, test));
  }

  spectra(params: EngineMethods['spectra']['params']): Result<'spectra'> {
    return this.queue.run(() => documentSpectra(this.requireDocument(params.docId), params));
  }

  topContexts(params: EngineMethods['topContexts']['params'], signal?: AbortSignal, progress?: (p: Progress<'topContexts'>) => void) {
    return this.queue.run(() =>
      topContextsRequest(this.requireModel(), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  saliency(params: EngineMethods['saliency']['params']): Result<'saliency'> {
    return this.queue.run(() => saliencyRequest(this.requireModel(), params));
  }

  intervene(params: EngineMethods['intervene']['params'], signal?: AbortSignal): Result<'intervene'> {
    return this.queue.run(() => interveneRequest(this.requireModel(), params, signal));
  }

  searchPattern(params: EngineMethods['searchPattern']['params'], signal?: AbortSignal, progress?: (p: Progress<'searchPattern'>) => void) {
    return this.queue.run(() =>
      searchPatternRequest(this.requireModel(), this.requireDocument(params.docId), params, signal, (message, fraction) =>
        progress?.({ message, fraction }),
      ),
    );
  }

  maximize(params: EngineMethods['maximize']['params'], signal?: AbortSignal, progress?: (p: Progress<'maximize'>) => void) {
    return this.queue.run(() =>
      maximizeRequest(this.requireModel(), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  invert(params: EngineMethods['invert']['params'], signal?: AbortSignal, progress?: (p: Progress<'invert'>) => void) {
    return this.queue.run(() =>
      invertRequest(this.requireModel(), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  fool(params: EngineMethods['fool']['params'], signal?: AbortSignal, progress?: (p: Progress<'fool'>) => void) {
    return this.queue.run(() => foolRequest(this.requireModel(), params, signal, (message, fraction) => progress?.({ message, fraction })));
  }

  classify(params: EngineMethods['classify']['params'], signal?: AbortSignal): Result<'classify'> {
    return this.queue.run(() => classifyRequest(this.requireModel(), params, signal));
  }

  clusterNeurons(params: EngineMethods['clusterNeurons']['params']): Result<'clusterNeurons'> {
    return this.queue.run(() => clusterNeuronsRequest(this.requireDocument(params.docId), params));
  }

  /**
   * Runs outside the queue: it reads a model folder's snapshots from disk and never touches the
   * active model's tensors, so the editor's analyses go on meanwhile. Without `dir` the folder is
   * the active model's, as it is when the request arrives.
   */
  async neuronHistory(
    params: EngineMethods['neuronHistory']['params'],
    signal?: AbortSignal,
    progress?: (p: Progress<'neuronHistory'>) => void,
  ): Result<'neuronHistory'> {
    let model: { dir: string; modelId?: number };
    if (params.dir !== undefined) {
      const dir = requireString(params.dir, 'dir', { nonEmpty: true });
      if (!path.isAbsolute(dir)) throw new NeuronLensError(`dir must be an absolute path (got ${dir})`);
      model = { dir };
    } else {
      const active = this.requireModel();
      const dir = active.loaded.dir;
      if (dir === undefined) {
        throw new NeuronLensError(
          'The active model is not in a model folder, so it has no training snapshots: train a model into a folder or load one that has snapshots',
          'not-found',
        );
      }
      model = { dir, modelId: active.id };
    }
    return neuronHistoryRequest(model, params, signal, (message, fraction) => progress?.({ message, fraction }));
  }

  readExperiment({ file }: EngineMethods['readExperiment']['params']): Result<'readExperiment'> {
    return this.experimentFiles.run(() => loadExperimentFile(requireAbsolutePath(file)));
  }

  updateExperiment({ file, changes }: EngineMethods['updateExperiment']['params']): Result<'updateExperiment'> {
    return this.experimentFiles.run(() => updateExperimentFile(requireAbsolutePath(file), changes));
  }

  imageModelInfo({ dir }: EngineMethods['imageModelInfo']['params']): Result<'imageModelInfo'> {
    return this.imageQueue.run(async () => describeImageModel(await this.imageModels.get(dir), dir));
  }

  imageActivations({ dir, input, top }: EngineMethods['imageActivations']['params']): Result<'imageActivations'> {
    return this.imageQueue.run(async () => imageActivationsRequest(await this.imageModels.get(dir), input, top));
  }

  imageMaximize(
    { dir, ...params }: EngineMethods['imageMaximize']['params'],
    signal?: AbortSignal,
    progress?: (p: Progress<'imageMaximize'>) => void,
  ): Result<'imageMaximize'> {
    return this.imageQueue.run(async () =>
      imageMaximizeRequest(await this.imageModels.get(dir), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  imageSaliency({ dir, input, classIndex }: EngineMethods['imageSaliency']['params']): Result<'imageSaliency'> {
    return this.imageQueue.run(async () => imageSaliencyRequest(await this.imageModels.get(dir), input, classIndex));
  }

  imageFool({ dir, input, target, settings }: EngineMethods['imageFool']['params'], signal?: AbortSignal): Result<'imageFool'> {
    return this.imageQueue.run(async () => imageFoolRequest(await this.imageModels.get(dir), input, target, settings, signal));
  }

  imageInvert(
    { dir, ...params }: EngineMethods['imageInvert']['params'],
    signal?: AbortSignal,
    progress?: (p: Progress<'imageInvert'>) => void,
  ): Result<'imageInvert'> {
    return this.imageQueue.run(async () =>
      imageInvertRequest(await this.imageModels.get(dir), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  imageDream(
    { dir, ...params }: EngineMethods['imageDream']['params'],
    signal?: AbortSignal,
    progress?: (p: Progress<'imageDream'>) => void,
  ): Result<'imageDream'> {
    return this.imageQueue.run(async () =>
      imageDreamRequest(await this.imageModels.get(dir), params, signal, (message, fraction) => progress?.({ message, fraction })),
    );
  }

  /** Frees the active model, the image models and every cache (the worker's end, and tests). */
  async dispose(): Promise<void> {
    await this.imageQueue.run(() => this.imageModels.dispose());
    await this.secondModelQueue.run(() => this.secondModel.dispose());
    return this.queue.run(() => {
      this.active?.dispose();
      this.active = undefined;
      this.documents.clear();
    });
  }

  private activate(loaded: LoadedModel): Active {
    const previous = this.active;
    this.active = new ActiveModel(this.nextModelId++, loaded);
    // Document caches stay: their next analysis sees the new id and starts over, and until then
    // their values still answer for the model they were computed with (results carry its id).
    previous?.dispose();
    return this.active.summary();
  }

  private requireModel(): ActiveModel {
    if (!this.active) throw new NeuronLensError('No model is loaded: train a model or load a model folder first', 'no-model');
    return this.active;
  }

  private requireDocument(docId: string): DocumentSession {
    const doc = this.documents.get(requireString(docId, 'docId', { nonEmpty: true }));
    if (!doc || doc.analysedWith < 0) throw new NeuronLensError(`${docId} has not been analysed: analyse it first`, 'not-found');
    return doc;
  }
}

/** The worker's working folder is nobody's workspace: files are named absolutely by the host. */
function requireAbsolutePath(file: unknown): string {
  const f = requireString(file, 'file', { nonEmpty: true });
  if (!path.isAbsolute(f)) throw new NeuronLensError(`file must be an absolute path (got ${f})`);
  return f;
}

function disposeLoaded(loaded: LoadedModel): void {
  loaded.model.dispose();
  for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
}
