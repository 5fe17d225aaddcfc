import type { ValueRange } from '../../engine/cells/recurrentCell';
import { normalise, robustScale } from '../../engine/colourScale';
import { generate } from '../../engine/generator';
import { loadModel } from '../../engine/modelFolder';
import { neuronTrace, resolveComponent, resolveLayer } from '../../engine/recorder';
import { type Values, num, required, str } from '../args';
import { colourTokens, legend } from '../ansi';
import type { CommandContext } from '../context';

export const GENERATE_OPTIONS = {
  model: { type: 'string' },
  prime: { type: 'string' },
  length: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  neuron: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
} as const;

export const GENERATE_HELP = `neuron-lens generate --model DIR [--prime STR] [--length N] [--temperature T] [--seed S] [--neuron K] [--layer L] [--component NAME] [--no-color] [--json]
  Samples text; with --neuron, each token's background shows that neuron's value after reading it
  (blue negative, red positive; plain text when not a terminal or with --no-color).`;

/** Colour-normalised values of one neuron, on the component's natural range. */
export function normalisedTrace(values: Float32Array, range: ValueRange): Float32Array {
  const scale = range === 'unbounded' ? robustScale(values) : 1;
  return values.map((x) => normalise(x, range, scale));
}

export async function generateCommand(v: Values, ctx: CommandContext): Promise<number> {
  const loaded = await loadModel(required(v, 'model'));
  try {
    const layer = resolveLayer(loaded.model, num(v, 'layer', 0, { int: true })!);
    const component = resolveComponent(loaded.model, layer, str(v, 'component', 'h')!);
    const neuron = num(v, 'neuron', undefined, { int: true });
    const g = await generate(loaded, {
      prime: str(v, 'prime', ''),
      length: num(v, 'length', 200, { int: true, min: 1 }),
      temperature: num(v, 'temperature', 0.8, { min: 0 }),
      seed: num(v, 'seed', 1, { int: true }),
      layers: [layer],
      components: [component],
    });
    const rec = g.layers[0]!;
    const trace = neuron === undefined ? undefined : neuronTrace(rec, component, neuron);
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          text: g.text,
          primeTokens: g.primeTokens,
          tokens: g.tokens,
          layer,
          component,
          ...(trace ? { neuron, values: Array.from(trace, (x) => Number(x.toPrecision(7))) } : {}),
        }),
      );
      return 0;
    }
    if (!trace || !ctx.io.colour) {
      ctx.io.out(g.text);
      return 0;
    }
    const info = loaded.model.components(layer).find((c) => c.id === component)!;
    ctx.io.out(colourTokens(g.tokens, normalisedTrace(trace, info.range)));
    ctx.io.out(`\nlayer ${layer} ${info.label} neuron ${neuron}  ${legend()}  (blue −, red +)`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
