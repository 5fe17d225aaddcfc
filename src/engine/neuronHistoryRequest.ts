/**
 * The protocol's neuronHistory request: one neuron of a model folder on one text at every training
 * snapshot the folder holds, as plain data with typed arrays. The history itself is computed by
 * neuronHistory; this checks what arrived from the host, refuses a folder without snapshots (one
 * row says nothing about training), and flattens the rows' traces into one transferable matrix.
 */
import type { EngineMethods, NeuronHistoryResult } from '../shared/protocol';
import { robustScale } from './colourScale';
import { NeuronLensError } from './errors';
import { neuronHistory } from './neuronHistory';
import { requireInteger, requireNumber, requireString } from './requestChecks';
import { listSnapshots } from './trainingSnapshots';

/**
 * The longest text a history runs on: every snapshot runs the model over all of it, and the
 * panel draws one lane of its tokens per snapshot.
 */
export const MAX_HISTORY_TEXT = 20_000;
const MAX_FEATURES = 64;

/** Where the request's snapshots are: `dir` when the host names one, else the active model's folder. */
export interface HistoryModel {
  dir: string;
  /** The active model's id, when the folder is the active model's. */
  modelId?: number;
}

export async function neuronHistoryRequest(
  model: HistoryModel,
  params: EngineMethods['neuronHistory']['params'],
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<NeuronHistoryResult> {
  const text = requireString(params.text, 'text', { nonEmpty: true });
  if (text.length > MAX_HISTORY_TEXT) {
    throw new NeuronLensError(
      `The text is too long to follow a neuron across training (${text.length.toLocaleString('en')} characters; at most ${MAX_HISTORY_TEXT.toLocaleString('en')}): select a shorter passage`,
    );
  }
  const features = params.features ?? [];
  if (!Array.isArray(features) || features.length > MAX_FEATURES)
    throw new NeuronLensError(`features must be a list of at most ${MAX_FEATURES} features of interest`);
  for (const f of features) requireString(f, 'feature', { nonEmpty: true });
  const layer = requireInteger(params.layer, 'layer', 0);
  const component = requireString(params.component, 'component', { nonEmpty: true });
  const neuron = requireInteger(params.neuron, 'neuron', 0);
  const threshold = params.threshold === undefined ? undefined : requireNumber(params.threshold, 'threshold', 0);

  if (listSnapshots(model.dir).length === 0) {
    throw new NeuronLensError(
      `${model.dir} has no training snapshots, so there is nothing to follow the neuron across: train a model with snapshots (Neuron Lens: Train Model… keeps one at every checkpoint; the CLI's train --snapshot-every N)`,
      'not-found',
    );
  }
  const h = await neuronHistory(model.dir, {
    text,
    layer,
    component,
    neuron,
    features,
    threshold,
    signal,
    onProgress: (done, total) => onProgress?.(`checkpoint ${Math.min(done + 1, total)} of ${total}`, done / total),
  });

  const n = h.tokens.length;
  const traces = new Float32Array(h.rows.length * n);
  h.rows.forEach((r, i) => traces.set(r.trace, i * n));
  return {
    dir: model.dir,
    ...(model.modelId !== undefined ? { modelId: model.modelId } : {}),
    layer: h.layer,
    component: h.component,
    neuron: h.neuron,
    range: h.range,
    // Over every row at once: one colour scale for all checkpoints, so a neuron that grows stronger looks stronger.
    robustScale: robustScale(traces),
    starts: Int32Array.from(h.tokens, (t) => t.start),
    ends: Int32Array.from(h.tokens, (t) => t.end),
    rows: h.rows.map((r) => ({
      step: r.step,
      source: r.source,
      ...(r.validationBits !== undefined ? { validationBits: r.validationBits } : {}),
      mean: r.mean,
      std: r.std,
      d: r.d,
    })),
    traces,
    features: h.features,
    threshold: h.threshold,
  };
}
