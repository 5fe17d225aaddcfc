/**
 * The protocol's investigation requests (top contexts, saliency, interventions, pattern search,
 * neuron clusters): each checks what arrived from the host, calls the module that does the work,
 * and shapes the answer as plain data with typed arrays. The analyses themselves live in their
 * own modules; nothing here computes more than bookkeeping.
 */
import type {
  CorpusFiles,
  EngineMethods,
  InterventionParams,
  InterventionResult,
  NeuronClusterSummary,
  PatternSearchParams,
  PatternSearchResult,
  SaliencyResult,
  TopContextsResult,
} from '../shared/protocol';
import { parseFeature } from '../shared/featureOfInterest';
import type { ActiveModel } from './activeModel';
import { isBidirectional } from './architecture';
import type { ValueRange } from './cells/recurrentCell';
import { classifyText } from './classifier/classify';
import { DEFAULT_CORPUS, DEFAULT_MAX_TEXT_BYTES, readTextFile } from './corpus';
import type { DocumentSession } from './documentSession';
import { NeuronLensError, isNeuronLensError, throwIfAborted } from './errors';
import { type Intervention, INTERVENTION_MODES, generationEffect, lossEffect, nextTokenEffect, unitMeans } from './intervention';
import { CLUSTER_METHODS, clusterNeurons } from './neuronClusters';
import { maximizeActivation } from './optimization/activationMaximization';
import { invertFeatures } from './optimization/featureInversion';
import { foolClassifier } from './optimization/fooling';
import { integratedGradients } from './optimization/integratedGradients';
import { gradientSaliency } from './optimization/saliency';
import { type TargetSpec, resolveTarget } from './optimization/targets';
import { type SearchDocument, proposeNeurons, searchPattern as search, tokenSpanOfChars } from './patternSearch';
import { recordActivations, resolveComponent } from './recorder';
import { RecordingIndex, indexText } from './recordingIndex';
import { requireInteger, requireNumber, requireOneOf, requireString } from './requestChecks';
import { type CorpusDocument, corpusDocuments, topContexts as scanTopContexts } from './topContexts';

/**
 * Saliency explains the last this-many tokens before the target (the window starts from a zero
 * state): integrated gradients cost a forward and backward pass over the window per path point.
 */
export const MAX_SALIENCY_TOKENS = 256;
/**
 * A class score is explained over every token the classifier reads (its first maxTokens), not a
 * tail of them: explaining fewer would explain another prediction. Past this many the request is
 * refused rather than left running for minutes.
 */
export const MAX_CLASS_SALIENCY_TOKENS = 2048;
const MAX_SEARCH_FILES = 2000;

function requireNeuronCount(value: unknown, name: string, max: number): number {
  return requireInteger(value, name, 1, max);
}

function corpusOf(corpus: CorpusFiles): CorpusDocument[] {
  if (corpus?.kind === 'default') return corpusDocuments(DEFAULT_CORPUS);
  if (corpus?.kind !== 'files' || !Array.isArray(corpus.paths) || corpus.paths.length === 0) {
    throw new NeuronLensError('corpus must be the default corpus or a non-empty list of files');
  }
  // Files the host listed (its search already skipped what the user excludes); each keeps its path.
  return corpus.paths.map((p) => {
    const file = requireString(p, 'corpus path', { nonEmpty: true });
    return { name: file, bytes: 0, read: () => readTextFile(file, DEFAULT_MAX_TEXT_BYTES) };
  });
}

export async function topContextsRequest(
  active: ActiveModel,
  params: EngineMethods['topContexts']['params'],
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<TopContextsResult> {
  const documents = corpusOf(params.corpus);
  const result = await scanTopContexts(active.loaded, documents, {
    layer: requireInteger(params.layer, 'layer', 0),
    component: requireString(params.component, 'component', { nonEmpty: true }),
    neuron: requireInteger(params.neuron, 'neuron', 0),
    k: requireInteger(params.top, 'top', 1, 1000),
    window: requireInteger(params.window, 'window', 1, 2000),
    signal,
    onProgress: (p) => onProgress?.(`${p.file}: ${p.tokensDone.toLocaleString('en')} tokens`, p.fraction),
  });
  return {
    modelId: active.id,
    most: result.most,
    least: result.least,
    tokens: result.tokens,
    skipped: result.skipped,
    range: componentRange(active, result.layer, result.component),
  };
}

export function saliencyRequest(active: ActiveModel, params: EngineMethods['saliency']['params']): SaliencyResult {
  const text = requireString(params.text, 'text', { nonEmpty: true });
  const offset = requireInteger(params.offset, 'offset', 0, text.length);
  const method = requireOneOf(params.method, 'method', ['ig', 'grad', 'grad-x-input'] as const);
  const { model, tokenizer } = active.loaded;
  const arch = model.architecture;
  const t = params.target;
  if (t?.kind === 'next-token' && arch.task === 'classifier') {
    throw new NeuronLensError('A classifier predicts classes, not the next token: explain one of its class scores or a neuron');
  }
  if (t?.kind === 'class' && arch.task !== 'classifier') {
    throw new NeuronLensError(
      'A language model has no class scores: explain the next token or a neuron (class scores are for classifiers)',
    );
  }
  const encoded = tokenizer.encode(text);
  let count = 0;
  while (count < encoded.tokens.length && encoded.tokens[count]!.end <= offset) count++;
  let from = Math.max(0, count - MAX_SALIENCY_TOKENS);
  if (t?.kind === 'class' && arch.task === 'classifier') {
    // The classifier's own reading of the text: its first maxTokens tokens (encodeForClassifier).
    from = 0;
    count = Math.min(count, arch.maxTokens);
    if (count > MAX_CLASS_SALIENCY_TOKENS) {
      throw new NeuronLensError(
        `The classifier reads ${count} tokens of this text; saliency explains a class score over at most ${MAX_CLASS_SALIENCY_TOKENS}: select a shorter passage`,
      );
    }
  }
  const tokens = encoded.tokens.slice(from, count);
  const ids = encoded.ids.slice(from, count);
  if (ids.length === 0) {
    throw new NeuronLensError(
      t?.kind === 'class'
        ? 'The text has no tokens: there is nothing to classify'
        : 'No whole token ends before the cursor: there is nothing to explain',
    );
  }
  let spec: TargetSpec;
  let label: string | undefined;
  if (t?.kind === 'neuron') {
    spec = { kind: 'neuron', layer: t.layer, component: t.component, neuron: t.neuron, position: 'last' };
  } else if (t?.kind === 'next-token') {
    // The logit of the token that actually follows, predicted from everything before it.
    const next = encoded.tokens[count];
    if (!next) throw new NeuronLensError('There is no token after the cursor to explain the prediction of');
    label = `the next-token logit of ${JSON.stringify(next.text)}`;
    spec = { kind: 'logit', token: encoded.ids[count]!, position: 'last' };
  } else if (t?.kind === 'class' && arch.task === 'classifier') {
    if (arch.pooling === 'last' && isBidirectional(arch.layers[arch.layers.length - 1]!)) {
      // Its head reads the backward direction at the first token, which no per-token logit carries.
      throw new NeuronLensError(
        'This classifier reads its bidirectional top layer at both ends of the text, so its class score is not a per-token logit: explain a neuron instead',
      );
    }
    // A class logit pooled as the head pools it is exactly the class score before the softmax.
    spec = { kind: 'logit', token: requireInteger(t.index, 'class index', 0), position: arch.pooling };
    label = `the class score of ${JSON.stringify(arch.classes[t.index] ?? String(t.index))}`;
  } else {
    throw new NeuronLensError('target must be a neuron, the next token or a class');
  }
  const target = resolveTarget(model, spec);
  const starts = Int32Array.from(tokens, (k) => k.start);
  const ends = Int32Array.from(tokens, (k) => k.end);
  const base = { modelId: active.id, starts, ends, target: label ?? target.label, method };
  if (method === 'ig') {
    const ig = integratedGradients(model, target, ids, { steps: requireInteger(params.steps, 'steps', 1, 512) });
    return {
      ...base,
      scores: ig.attributions,
      targetValue: ig.targetValue,
      baselineValue: ig.baselineValue,
      completenessGap: ig.completenessGap,
    };
  }
  const g = gradientSaliency(model, target, ids);
  return { ...base, scores: method === 'grad' ? g.gradientNorm : g.gradientTimesInput, targetValue: g.targetValue };
}

export async function interveneRequest(active: ActiveModel, params: InterventionParams, signal?: AbortSignal): Promise<InterventionResult> {
  const text = requireString(params.text, 'text', { nonEmpty: true });
  const layer = requireInteger(params.layer, 'layer', 0);
  const component = requireOneOf(params.component, 'component', ['h', 'c'] as const);
  const mode = requireOneOf(params.mode, 'mode', INTERVENTION_MODES);
  if (!Array.isArray(params.units)) throw new NeuronLensError('units must be a list of neuron numbers');
  const units = params.units.map((u) => requireInteger(u, 'unit', 0));
  const where: Intervention['where'] =
    params.where === 'all' ? 'all' : { feature: parseFeature(requireString(params.where?.feature, 'feature', { nonEmpty: true })) };
  const intervention: Intervention = { layer, component, units, mode, where };
  if (mode === 'clamp') intervention.value = requireNumber(params.value, 'value', -1e6, 1e6);
  if (mode === 'mean') {
    // The mean of each unit over this text, measured without any intervention.
    const recording = await recordActivations(active.loaded, text, { layers: [layer], components: [component], signal });
    const values = recording.layers[0]!.components[component]!;
    intervention.means = unitMeans(values, active.model.layerUnits(layer), units);
  }
  throwIfAborted(signal, 'Intervention');
  const loss = lossEffect(active.loaded, text, [intervention], { top: 10, signal });
  const next = nextTokenEffect(active.loaded, text, [intervention], {
    offset: requireInteger(params.offset, 'offset', 0, text.length),
    k: requireInteger(params.top, 'top', 1, 50),
  });
  throwIfAborted(signal, 'Intervention');
  const generation = generationEffect(active.loaded, [intervention], {
    prime: text.slice(Math.max(0, params.offset - 200), params.offset),
    length: requireInteger(params.generateLength, 'generateLength', 1, 2000),
    seed: requireInteger(params.seed, 'seed', 0),
    temperature: 0.8,
    signal,
  });
  const { baselineLoss: _b, intervenedLoss: _i, ...summary } = loss;
  return { modelId: active.id, loss: summary, next, generation };
}

/** The analysed document as a search document: its computed tokens and their on/off bits. */
function analysedDocument(doc: DocumentSession, name: string, threshold: number): SearchDocument {
  const tokens = doc.tokens.slice(0, doc.computed);
  const values = doc.values.subarray(0, doc.computed * doc.units);
  return { name, tokens, index: RecordingIndex.fromValues(values, doc.units, threshold) };
}

export async function searchPatternRequest(
  active: ActiveModel,
  doc: DocumentSession,
  params: PatternSearchParams,
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<PatternSearchResult> {
  const threshold = requireNumber(params.threshold, 'threshold', -1e6, 1e6);
  const query = analysedDocument(doc, 'this document', threshold);
  const { from, to } = tokenSpanOfChars(query, requireInteger(params.start, 'start', 0), requireInteger(params.end, 'end', 0));
  const neurons =
    params.neurons && params.neurons.length > 0
      ? params.neurons.map((n) => requireInteger(n, 'neuron', 0, doc.units - 1))
      : proposeNeurons(query, from, to, requireNeuronCount(params.propose, 'propose', doc.units));
  if (neurons.length === 0) {
    throw new NeuronLensError(`No neuron is more often on (above ${threshold}) inside the selection than around it: lower the threshold`);
  }
  if (!Array.isArray(params.paths) || params.paths.length > MAX_SEARCH_FILES) {
    throw new NeuronLensError(`paths must be a list of at most ${MAX_SEARCH_FILES} files`);
  }
  const documents: SearchDocument[] = [query];
  const paths: (string | undefined)[] = [undefined];
  const skipped: string[] = [];
  for (const [i, p] of params.paths.entries()) {
    throwIfAborted(signal, 'Pattern search');
    const file = requireString(p, 'path', { nonEmpty: true });
    onProgress?.(`indexing ${file}`, i / params.paths.length);
    let text: string;
    try {
      text = readTextFile(file);
    } catch (e) {
      if (!isNeuronLensError(e)) throw e;
      skipped.push(e.message);
      continue;
    }
    const { tokens, index } = await indexText(active.loaded, text, { layer: doc.layer, component: doc.component, threshold, signal });
    documents.push({ name: file, tokens, index });
    paths.push(file);
  }
  const result = search(documents, { document: query, from, to, neurons }, { top: requireInteger(params.top, 'top', 1, 200) });
  return {
    modelId: active.id,
    neurons: result.neurons,
    threshold,
    windows: result.windows,
    matches: result.matches.map((m) => ({ ...m, path: paths[m.document] })),
    skipped,
  };
}

export function clusterNeuronsRequest(
  doc: DocumentSession,
  params: EngineMethods['clusterNeurons']['params'],
): EngineMethods['clusterNeurons']['result'] {
  const tokens = doc.tokens.slice(0, doc.computed);
  const clustering = clusterNeurons(
    doc.values.subarray(0, doc.computed * doc.units),
    doc.units,
    tokens.map((t) => t.text),
    {
      k: requireInteger(params.k, 'k', 1, doc.units),
      method: requireOneOf(params.method, 'method', CLUSTER_METHODS),
      seed: requireInteger(params.seed, 'seed', 0),
      features: Array.isArray(params.features) ? params.features.map((f) => requireString(f, 'feature', { nonEmpty: true })) : [],
    },
  );
  const clusters: NeuronClusterSummary[] = clustering.clusters.map((c) => ({
    neurons: c.neurons,
    label: c.label,
    topTokens: c.topTokens,
    features: c.features,
    factor: c.factor,
  }));
  return {
    modelId: doc.analysedWith,
    clusters,
    starts: Int32Array.from(tokens, (t) => t.start),
    ends: Int32Array.from(tokens, (t) => t.end),
  };
}

export async function classifyRequest(
  active: ActiveModel,
  params: EngineMethods['classify']['params'],
  signal?: AbortSignal,
): Promise<EngineMethods['classify']['result']> {
  if (active.model.architecture.task !== 'classifier') {
    throw new NeuronLensError('The active model is a language model, not a classifier: load a model trained with train-classifier');
  }
  const c = await classifyText(active.loaded, requireString(params.text, 'text', { nonEmpty: true }), { signal });
  return {
    modelId: active.id,
    probabilities: c.probabilities,
    predicted: c.predicted,
    tokens: c.tokens.length,
    classifiedTokens: c.classifiedTokens,
  };
}

/** Editor-sized runs: a few seconds, not minutes. */
const MAX_MAXIMIZE_STEPS = 1000;

export async function maximizeRequest(
  active: ActiveModel,
  params: EngineMethods['maximize']['params'],
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<EngineMethods['maximize']['result']> {
  const position = requireOneOf(params.position, 'position', ['last', 'every'] as const);
  const target = resolveTarget(active.model, {
    kind: 'neuron',
    layer: requireInteger(params.layer, 'layer', 0),
    component: requireString(params.component, 'component', { nonEmpty: true }),
    neuron: requireInteger(params.neuron, 'neuron', 0),
    position,
  });
  const steps = requireInteger(params.steps, 'steps', 1, MAX_MAXIMIZE_STEPS);
  const result = await maximizeActivation(active.model, active.tokenizer.vocabulary, target, {
    length: requireInteger(params.length, 'length', 1, 200),
    starts: requireInteger(params.starts, 'starts', 1, 64),
    steps,
    seed: requireInteger(params.seed, 'seed', 0),
    signal,
    onProgress: (step) => onProgress?.(`step ${step}/${steps}`, step / steps),
  });
  const spec = target.spec as Extract<TargetSpec, { kind: 'neuron' }>;
  return { ...result, modelId: active.id, range: componentRange(active, spec.layer, spec.component) };
}

/** How a layer component's values are bounded, for the colour scale a view picks. */
function componentRange(active: ActiveModel, layer: number, component: string): ValueRange {
  const id = resolveComponent(active.model, layer, component);
  return active.model.components(layer).find((c) => c.id === id)!.range;
}

export async function invertRequest(
  active: ActiveModel,
  params: EngineMethods['invert']['params'],
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<EngineMethods['invert']['result']> {
  const text = requireString(params.text, 'text', { nonEmpty: true });
  const steps = requireInteger(params.steps, 'steps', 1, MAX_MAXIMIZE_STEPS);
  const result = await invertFeatures(active.loaded, text, {
    layer: params.layer === undefined ? undefined : requireInteger(params.layer, 'layer', 0),
    component: params.component === undefined ? undefined : requireString(params.component, 'component', { nonEmpty: true }),
    length: requireInteger(params.length, 'length', 1, 200),
    starts: requireInteger(params.starts, 'starts', 1, 64),
    steps,
    seed: requireInteger(params.seed, 'seed', 0),
    signal,
    onProgress: (step) => onProgress?.(`step ${step}/${steps}`, step / steps),
  });
  const textTokens = active.tokenizer
    .encode(text)
    .tokens.slice(0, result.targetTokens)
    .map((t) => t.text);
  return { ...result, modelId: active.id, textTokens, range: componentRange(active, result.layer, result.component) };
}

export async function foolRequest(
  active: ActiveModel,
  params: EngineMethods['fool']['params'],
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<EngineMethods['fool']['result']> {
  if (active.model.architecture.task !== 'classifier') {
    throw new NeuronLensError('The active model is a language model, not a classifier: fooling inputs change what a classifier predicts');
  }
  const maxFlips = requireInteger(params.maxFlips, 'maxFlips', 1, 50);
  const result = await foolClassifier(active.loaded, requireString(params.text, 'text', { nonEmpty: true }), {
    targetClass: params.targetClass === undefined ? undefined : requireInteger(params.targetClass, 'targetClass', 0),
    maxFlips,
    signal,
    onProgress: (flips) => onProgress?.(`${flips} of at most ${maxFlips} substitutions`, flips / maxFlips),
  });
  return { ...result, modelId: active.id };
}
