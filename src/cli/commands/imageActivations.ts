import * as path from 'node:path';
import { featureMap, imageActivations, mostActiveUnits } from '../../engine/vision/layerActivations';
import { tilePictures, toPicture } from '../../engine/vision/imagePng';
import { type Values, num, str } from '../args';
import type { CommandContext } from '../context';
import {
  IMAGE_INPUT_HELP,
  IMAGE_INPUT_OPTIONS,
  PNG_SCALE_OPTION,
  inputPicture,
  pngScale,
  readImageInput,
  round,
  withImageModel,
  writePicture,
} from './imageInput';

export const IMAGE_ACTIVATIONS_OPTIONS = {
  ...IMAGE_INPUT_OPTIONS,
  ...PNG_SCALE_OPTION,
  top: { type: 'string' },
  values: { type: 'boolean' },
  'out-dir': { type: 'string' },
} as const;

export const IMAGE_ACTIVATIONS_HELP = `neuron-lens image-activations --model DIR (--digit N | --image PATH) [--top N] [--out-dir DIR] [--json [--values]]
${IMAGE_INPUT_HELP}
  --top N                  the N most active filters / neurons per layer (by mean activation; default 5)
  --out-dir DIR            PNGs: input.png, one gallery of feature maps per conv/pool layer, one strip per dense layer
  --values                 with --json: every layer's values (after ReLU), row-major
  --scale K                integer zoom of the PNGs (default 4)`;

export async function imageActivationsCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const input = readImageInput(v, loaded);
    const a = loaded.model.architecture;
    const r = imageActivations(loaded.model, input.pixels);
    const n = num(v, 'top', 5, { int: true, min: 0 })!;
    const dir = str(v, 'out-dir');
    if (dir) {
      const scale = pngScale(v, 4);
      await writePicture(path.join(dir, 'input.png'), inputPicture(input.pixels, [a.height, a.width, a.channels]), scale);
      for (const layer of r.layers) {
        const picture =
          layer.shape.length === 3
            ? tilePictures(
                Array.from({ length: layer.shape[2]! }, (_, f) =>
                  toPicture(featureMap(layer, f), layer.shape[0]!, layer.shape[1]!, 1, { kind: 'auto' }),
                ),
                Math.ceil(Math.sqrt(layer.shape[2]!)),
                1,
              )
            : toPicture(layer.values, 1, layer.shape[0]!, 1, { kind: 'auto' });
        await writePicture(path.join(dir, `${layer.name}.png`), picture, scale);
      }
    }
    const layers = r.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      shape: l.shape,
      top: mostActiveUnits(l, n).map((u) => ({ unit: u.unit, mean: round(u.mean), max: round(u.max) })),
      ...(v.values === true ? { values: Array.from(l.values, (x) => round(x, 7)) } : {}),
    }));
    const summary = {
      input: input.label,
      trueClass: input.trueClass === undefined ? undefined : loaded.classes[input.trueClass],
      predicted: loaded.classes[r.predicted],
      probabilities: Object.fromEntries(loaded.classes.map((c, i) => [c, round(r.probabilities[i]!, 4)])),
      layers,
      outDir: dir,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else {
      ctx.io.out(
        `${input.label}: predicted ${summary.predicted} (p = ${round(r.probabilities[r.predicted]!, 4)})${summary.trueClass ? `, true class ${summary.trueClass}` : ''}`,
      );
      for (const l of layers)
        ctx.io.out(
          `${l.name.padEnd(8)} ${l.shape.join('×').padEnd(10)} most active: ${l.top.map((u) => `${u.unit} (${u.mean.toFixed(3)})`).join(', ')}`,
        );
      if (dir) ctx.io.out(`wrote PNGs to ${dir}`);
    }
    return 0;
  });
}
