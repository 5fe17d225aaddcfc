import { readTextFile } from '../../engine/corpus';
import { NeuronLensError } from '../../engine/errors';
import { loadModel } from '../../engine/modelFolder';
import { recordActivations, resolveComponent, resolveLayer } from '../../engine/recorder';
import { type Values, num, required, str } from '../args';
import type { CommandContext } from '../context';

export const ACTIVATIONS_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
} as const;

export const ACTIVATIONS_HELP = `neuron-lens activations --model DIR (--text STR | --file PATH) [--layer L] [--component NAME] --json
  Prints {"tokens":[{"text","start","end"}...],"layer":L,"component":NAME,"neurons":N,"values":[[...per neuron]...per token]}.
  Components: RNN h, pre; LSTM h, c, i, f, g, o; GRU h, z, r, n (aliases: hidden, cell, input, forget, candidate, output, update, reset).`;

export function readInputText(v: Values): string {
  const text = str(v, 'text');
  const file = str(v, 'file');
  if (text !== undefined && file !== undefined) throw new NeuronLensError('Give either --text or --file, not both');
  if (file !== undefined) return readTextFile(file);
  if (text === undefined) throw new NeuronLensError('--text or --file is required');
  if (text.length === 0) throw new NeuronLensError('The text is empty: there is nothing to record');
  return text;
}

export async function activationsCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const text = readInputText(v);
  const loaded = await loadModel(dir);
  try {
    const layer = resolveLayer(loaded.model, num(v, 'layer', 0, { int: true })!);
    const component = resolveComponent(loaded.model, layer, str(v, 'component', 'h')!);
    const rec = await recordActivations(loaded, text, { layers: [layer], components: [component] });
    const values = rec.layers[0]!.components[component]!;
    const units = rec.layers[0]!.units;
    if (v.json === true) {
      // Streamed row by row: a long file's JSON is never built as one giant string.
      ctx.io.out(
        `{"tokens":${JSON.stringify(rec.tokens.map((t) => ({ text: t.text, start: t.start, end: t.end })))},"layer":${layer},"component":${JSON.stringify(component)},"neurons":${units},"values":[`,
      );
      for (let t = 0; t < rec.tokens.length; t++) {
        const row = Array.from(values.subarray(t * units, (t + 1) * units), (x) => Number(x.toPrecision(7)));
        ctx.io.out(JSON.stringify(row) + (t + 1 < rec.tokens.length ? ',' : ''));
      }
      ctx.io.out(']}');
    } else {
      ctx.io.out(`${rec.tokens.length} tokens, layer ${layer}, component ${component}, ${units} neurons (use --json for the values)`);
      const show = Math.min(rec.tokens.length, 20);
      for (let t = 0; t < show; t++) {
        const row = Array.from(values.subarray(t * units, t * units + Math.min(units, 8)), (x) => x.toFixed(3).padStart(7)).join(' ');
        ctx.io.out(`${JSON.stringify(rec.tokens[t]!.text).padEnd(10)} ${row}${units > 8 ? ' …' : ''}`);
      }
      if (rec.tokens.length > show) ctx.io.out(`… ${rec.tokens.length - show} more tokens`);
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
