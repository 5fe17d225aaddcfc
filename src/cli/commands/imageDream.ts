import { deepDream } from '../../engine/vision/deepDream';
import { tilePictures } from '../../engine/vision/imagePng';
import { type Values, num, required, str } from '../args';
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

export const IMAGE_DREAM_OPTIONS = {
  ...IMAGE_INPUT_OPTIONS,
  ...PNG_SCALE_OPTION,
  layer: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  jitter: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_DREAM_HELP = `neuron-lens image-dream --model DIR (--digit N | --image PATH) --layer L [options]
${IMAGE_INPUT_HELP}
  --layer L                layer whose activation is amplified (½‖a‖²)
  --steps N --lr X         gradient-ascent steps and per-pixel step (default 20, 0.02)
  --jitter P --seed S      random shift of up to P pixels per step (default 1)
  --out FILE.png           original | dream
  --scale K                integer zoom of the PNG (default 8)`;

export async function imageDreamCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const input = readImageInput(v, loaded);
    const r = deepDream(loaded.model, input.pixels, required(v, 'layer'), {
      steps: num(v, 'steps', undefined, { int: true, min: 0, max: 100_000 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      jitter: num(v, 'jitter', undefined, { int: true, min: 0, max: 64 }),
      seed: num(v, 'seed', undefined, { int: true }),
    });
    const out = str(v, 'out');
    if (out)
      await writePicture(out, tilePictures([inputPicture(input.pixels, r.shape), inputPicture(r.image, r.shape)], 2, 1), pngScale(v));
    const summary = {
      input: input.label,
      layer: r.layer,
      initialObjective: round(r.initialObjective),
      finalObjective: round(r.finalObjective),
      settings: r.settings,
      out,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else
      ctx.io.out(`${input.label}: ½‖${r.layer}‖² ${summary.initialObjective} → ${summary.finalObjective}` + (out ? `\nwrote ${out}` : ''));
    return 0;
  });
}
