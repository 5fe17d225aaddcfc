import type { ValueRange } from '../engine/cells/recurrentCell';
import { readTextFile } from '../engine/corpus';
import { NeuronLensError } from '../engine/errors';
import { type LoadedModel, loadModel } from '../engine/modelFolder';
import { recordActivations, resolveComponent, resolveLayer } from '../engine/recorder';
import type { Token } from '../engine/tokenizer';
import { type Values, required, str } from './args';

export const RECORD_INPUT_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
} as const;

export function readInputText(v: Values): string {
  const text = str(v, 'text');
  const file = str(v, 'file');
  if (text !== undefined && file !== undefined) throw new NeuronLensError('Give either --text or --file, not both');
  if (file !== undefined) return readTextFile(file);
  if (text === undefined) throw new NeuronLensError('--text or --file is required');
  if (text.length === 0) throw new NeuronLensError('The text is empty: there is nothing to record');
  return text;
}

export interface RecordedComponent {
  tokens: Token[];
  layer: number;
  component: string;
  units: number;
  /** tokens × units, row-major. */
  values: Float32Array;
  /** How the component's values are bounded (for colour scales). */
  range: ValueRange;
  loaded: LoadedModel;
}

/**
 * Loads --model, records one layer's component over --text/--file and hands it to `use`; the
 * model is freed whatever happens. Shared by the analysis commands.
 */
export async function withRecordedComponent(
  v: Values,
  choice: { layer: number; component: string },
  use: (r: RecordedComponent) => number | Promise<number>,
): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const loaded = await loadModel(dir);
  try {
    const layer = resolveLayer(loaded.model, choice.layer);
    const component = resolveComponent(loaded.model, layer, choice.component);
    const rec = await recordActivations(loaded, text, { layers: [layer], components: [component] });
    const recorded = rec.layers[0]!;
    const range = loaded.model.components(layer).find((c) => c.id === component)!.range;
    return await use({
      tokens: rec.tokens,
      layer,
      component,
      units: recorded.units,
      values: recorded.components[component]!,
      range,
      loaded,
    });
  } finally {
    loaded.model.dispose();
  }
}
