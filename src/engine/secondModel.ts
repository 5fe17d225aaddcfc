/**
 * A neuron of a model other than the active one, on a text: the comparison panel's "same neuron in
 * two models". The other folder stays loaded between requests (a comparison is recomputed after
 * every edit) until another folder is asked for or its model.json changes on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineMethods, NeuronValuesInModelResult } from '../shared/protocol';
import { robustScale } from './colourScale';
import { NeuronLensError } from './errors';
import { type LoadedModel, loadModel } from './modelFolder';
import { neuronTrace, recordActivations, resolveComponent, resolveLayer } from './recorder';
import { requireInteger, requireString } from './requestChecks';

/** Texts longer than this are refused: the other model records all of it on every refresh. */
export const MAX_SECOND_MODEL_TEXT = 2_000_000;

export class SecondModel {
  private held: { dir: string; mtimeMs: number; loaded: LoadedModel } | undefined;

  /** The model of `dir`, loaded once and kept while its model.json is unchanged. */
  async get(dir: string): Promise<LoadedModel> {
    const mtimeMs = modelJsonTime(dir);
    if (this.held && this.held.dir === dir && this.held.mtimeMs === mtimeMs) return this.held.loaded;
    this.dispose();
    const loaded = await loadModel(dir);
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
    delete loaded.optimizerWeights;
    this.held = { dir, mtimeMs, loaded };
    return loaded;
  }

  dispose(): void {
    this.held?.loaded.model.dispose();
    this.held = undefined;
  }
}

function modelJsonTime(dir: string): number {
  try {
    return fs.statSync(path.join(dir, 'model.json')).mtimeMs;
  } catch {
    throw new NeuronLensError(`${dir} is not a model folder (it has no model.json)`, 'not-found');
  }
}

export async function neuronValuesInModel(
  models: SecondModel,
  params: EngineMethods['neuronValuesInModel']['params'],
  signal?: AbortSignal,
): Promise<NeuronValuesInModelResult> {
  const dir = requireString(params.dir, 'dir', { nonEmpty: true });
  const text = requireString(params.text, 'text', { nonEmpty: true });
  if (text.length > MAX_SECOND_MODEL_TEXT)
    throw new NeuronLensError(
      `The text is too long to compare two models on (${text.length} characters; at most ${MAX_SECOND_MODEL_TEXT})`,
    );
  const loaded = await models.get(dir);
  const layer = resolveLayer(loaded.model, requireInteger(params.layer, 'layer', 0));
  const component = resolveComponent(loaded.model, layer, requireString(params.component, 'component', { nonEmpty: true }));
  const units = loaded.model.layerUnits(layer);
  const neuron = requireInteger(params.neuron, 'neuron', 0);
  if (neuron >= units)
    throw new NeuronLensError(`Neuron ${neuron} does not exist in ${dir}: layer ${layer} has ${units} neurons (0–${units - 1})`);
  const rec = await recordActivations(loaded, text, { layers: [layer], components: [component], signal });
  const values = neuronTrace(rec.layers[0]!, component, neuron);
  return {
    values,
    robustScale: robustScale(values),
    range: loaded.model.components(layer).find((c) => c.id === component)!.range,
    starts: Int32Array.from(rec.tokens, (t) => t.start),
    ends: Int32Array.from(rec.tokens, (t) => t.end),
    level: loaded.model.architecture.level,
  };
}
