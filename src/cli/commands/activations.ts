import { type Values, num, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';

export const ACTIVATIONS_OPTIONS = RECORD_INPUT_OPTIONS;

export const ACTIVATIONS_HELP = `neuron-lens activations --model DIR (--text STR | --file PATH) [--layer L] [--component NAME] --json
  Prints {"tokens":[{"text","start","end"}...],"layer":L,"component":NAME,"neurons":N,"values":[[...per neuron]...per token]}.
  Components: RNN h, pre; LSTM h, c, i, f, g, o; GRU h, z, r, n (aliases: hidden, cell, input, forget, candidate, output, update, reset).`;

export async function activationsCommand(v: Values, ctx: CommandContext): Promise<number> {
  const choice = { layer: num(v, 'layer', 0, { int: true })!, component: str(v, 'component', 'h')! };
  return withRecordedComponent(v, choice, ({ tokens, layer, component, units, values }) => {
    if (v.json === true) {
      // Streamed row by row: a long file's JSON is never built as one giant string.
      ctx.io.out(
        `{"tokens":${JSON.stringify(tokens.map((t) => ({ text: t.text, start: t.start, end: t.end })))},"layer":${layer},"component":${JSON.stringify(component)},"neurons":${units},"values":[`,
      );
      for (let t = 0; t < tokens.length; t++) {
        const row = Array.from(values.subarray(t * units, (t + 1) * units), (x) => Number(x.toPrecision(7)));
        ctx.io.out(JSON.stringify(row) + (t + 1 < tokens.length ? ',' : ''));
      }
      ctx.io.out(']}');
    } else {
      ctx.io.out(`${tokens.length} tokens, layer ${layer}, component ${component}, ${units} neurons (use --json for the values)`);
      const show = Math.min(tokens.length, 20);
      for (let t = 0; t < show; t++) {
        const row = Array.from(values.subarray(t * units, t * units + Math.min(units, 8)), (x) => x.toFixed(3).padStart(7)).join(' ');
        ctx.io.out(`${JSON.stringify(tokens[t]!.text).padEnd(10)} ${row}${units > 8 ? ' …' : ''}`);
      }
      if (tokens.length > show) ctx.io.out(`… ${tokens.length - show} more tokens`);
    }
    return 0;
  });
}
