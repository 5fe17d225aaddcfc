import type { ValueRange } from './cells/recurrentCell';
import { featureMask, parseFeature } from '../shared/featureOfInterest';
import { NeuronLensError, throwIfAborted } from './errors';
import type { LanguageModel } from './languageModel';
import { loadModel } from './modelFolder';
import type { ModelTokenizer } from './modelTokenizer';
import { neuronTrace, recordActivations, resolveComponent, resolveLayer } from './recorder';
import { standardizedMeanDifference } from './relevance';
import type { Token } from './tokenizer';
import { listSnapshots, loadSnapshotModel } from './trainingSnapshots';

/** |Cohen's d| a neuron must keep, from some step on, for its relevance to count as emerged. */
export const DEFAULT_EMERGENCE_THRESHOLD = 1;

export interface NeuronHistoryRequest {
  text: string;
  layer?: number;
  component?: string;
  neuron: number;
  /** Features of interest (`" "`, `"."`, `/regex/`). */
  features?: readonly string[];
  threshold?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface NeuronHistoryRow {
  step: number;
  /** A snapshot file, or the model folder's own (final) weights. */
  source: 'snapshot' | 'model';
  validationBits?: number;
  /** The neuron's value after each token. */
  trace: Float32Array;
  mean: number;
  std: number;
  /** Cohen's d per feature, in the order of `features`. */
  d: number[];
}

export interface NeuronHistory {
  tokens: Token[];
  layer: number;
  component: string;
  /** How the component's values are bounded (for colour scales). */
  range: ValueRange;
  neuron: number;
  features: { feature: string; matches: number; emergedAt: number | null }[];
  threshold: number;
  rows: NeuronHistoryRow[];
}

/**
 * The first step from which |d| stays above the threshold through the last row, or null when the
 * last value is not above it. "Stays" matters: a neuron that is briefly relevant early in training
 * and loses it again has not yet acquired the feature.
 */
export function emergenceStep(steps: readonly number[], d: readonly number[], threshold: number): number | null {
  let first: number | null = null;
  for (let i = d.length - 1; i >= 0 && Math.abs(d[i]!) > threshold; i--) first = steps[i]!;
  return first;
}

function meanAndStd(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = values.length ? sum / values.length : 0;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  return { mean, std: values.length ? Math.sqrt(sq / values.length) : 0 };
}

/**
 * One neuron on one text at every snapshot of a model folder and at its final weights. Loads one
 * set of weights at a time (memory: one model and the traces), frees each before the next.
 */
export async function neuronHistory(dir: string, request: NeuronHistoryRequest): Promise<NeuronHistory> {
  const threshold = request.threshold ?? DEFAULT_EMERGENCE_THRESHOLD;
  if (!(threshold >= 0) || !Number.isFinite(threshold))
    throw new NeuronLensError(`The emergence threshold must be a non-negative number, not ${threshold}`);
  const specs = [...(request.features ?? [])];
  const parsed = specs.map(parseFeature);
  const final = await loadModel(dir);
  for (const w of final.optimizerWeights ?? []) w.tensor.dispose();
  let layer: number;
  let component: string;
  let range: ValueRange;
  let finalRow: NeuronHistoryRow;
  let tokens: Token[];
  let masks: Uint8Array[];
  const tokenizer = final.tokenizer;
  const architecture = final.model.architecture;
  try {
    layer = resolveLayer(final.model, request.layer ?? 0);
    component = resolveComponent(final.model, layer, request.component ?? 'h');
    range = final.model.components(layer).find((c) => c.id === component)!.range;
    const units = final.model.layerUnits(layer);
    if (!Number.isInteger(request.neuron) || request.neuron < 0 || request.neuron >= units)
      throw new NeuronLensError(`Neuron ${request.neuron} does not exist: layer ${layer} has ${units} neurons (0–${units - 1})`);
    const rec = await recordActivations(final, request.text, { layers: [layer], components: [component], signal: request.signal });
    tokens = rec.tokens;
    masks = parsed.map(
      (f) =>
        featureMask(
          f,
          tokens.map((t) => t.text),
        ).mask,
    );
    const trace = neuronTrace(rec.layers[0]!, component, request.neuron);
    finalRow = row(final.training?.steps ?? 0, 'model', trace, masks, final.training?.validationBits);
  } finally {
    final.model.dispose();
  }

  // The index is read after the model: a folder without snapshots still gives its final row.
  const snapshots = listSnapshots(dir);
  const rows: NeuronHistoryRow[] = [];
  for (const [i, entry] of snapshots.entries()) {
    throwIfAborted(request.signal, 'Neuron history');
    request.onProgress?.(i, snapshots.length + 1);
    const model = loadSnapshotModel(dir, architecture, entry);
    try {
      const trace = await traceOf({ model, tokenizer }, request, layer, component);
      rows.push(row(entry.step, 'snapshot', trace, masks, entry.validationBits));
    } finally {
      model.dispose();
    }
  }
  // The last snapshot is usually the final model itself; a later model (snapshots off for part of the run) is added.
  const last = rows[rows.length - 1];
  if (!last || last.step < finalRow.step) rows.push(finalRow);
  request.onProgress?.(snapshots.length + 1, snapshots.length + 1);

  const steps = rows.map((r) => r.step);
  return {
    tokens,
    layer,
    component,
    range,
    neuron: request.neuron,
    threshold,
    rows,
    features: specs.map((feature, j) => ({
      feature,
      matches: masks[j]!.reduce((a, b) => a + b, 0),
      emergedAt: emergenceStep(
        steps,
        rows.map((r) => r.d[j]!),
        threshold,
      ),
    })),
  };
}

async function traceOf(
  loaded: { model: LanguageModel; tokenizer: ModelTokenizer },
  request: NeuronHistoryRequest,
  layer: number,
  component: string,
): Promise<Float32Array> {
  const rec = await recordActivations(loaded, request.text, { layers: [layer], components: [component], signal: request.signal });
  return neuronTrace(rec.layers[0]!, component, request.neuron);
}

function row(
  step: number,
  source: NeuronHistoryRow['source'],
  trace: Float32Array,
  masks: Uint8Array[],
  validationBits: number | undefined,
): NeuronHistoryRow {
  return {
    step,
    source,
    ...(validationBits !== undefined ? { validationBits } : {}),
    trace,
    ...meanAndStd(trace),
    d: masks.map((m) => standardizedMeanDifference(trace, 1, m)[0]!),
  };
}
