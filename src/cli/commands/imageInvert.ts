import { invertFeatures } from '../../engine/vision/featureInversion';
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

export const IMAGE_INVERT_OPTIONS = {
  ...IMAGE_INPUT_OPTIONS,
  ...PNG_SCALE_OPTION,
  layer: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  l2: { type: 'string' },
  tv: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_INVERT_HELP = `neuron-lens image-invert --model DIR (--digit N | --image PATH) --layer L [options]
${IMAGE_INPUT_HELP}
  --layer L                layer whose features are matched (conv1, pool1, dense1, ...)
  --steps N --lr X         Adam steps on the pixels (default 300, 0.05)
  --l2 W --tv W            weights of the L2 and total-variation regularisers (default 1e-4, 1e-3)
  --seed S                 starting noise
  --out FILE.png           original | reconstruction
  --scale K                integer zoom of the PNG (default 8)`;

export async function imageInvertCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const input = readImageInput(v, loaded);
    const r = invertFeatures(loaded.model, input.pixels, required(v, 'layer'), {
      steps: num(v, 'steps', undefined, { int: true, min: 0, max: 100_000 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      l2: num(v, 'l2', undefined, { min: 0 }),
      tv: num(v, 'tv', undefined, { min: 0 }),
      seed: num(v, 'seed', undefined, { int: true }),
    });
    const out = str(v, 'out');
    if (out)
      await writePicture(out, tilePictures([inputPicture(input.pixels, r.shape), inputPicture(r.image, r.shape)], 2, 1), pngScale(v));
    const summary = {
      input: input.label,
      layer: r.layer,
      initialRelativeError: round(r.initialRelativeError),
      finalRelativeError: round(r.finalRelativeError),
      settings: r.settings,
      out,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else
      ctx.io.out(
        `${input.label}: ${r.layer} features matched to ${(100 * r.finalRelativeError).toFixed(1)}% relative error (noise: ${(100 * r.initialRelativeError).toFixed(1)}%)` +
          (out ? `\nwrote ${out}` : ''),
      );
    return 0;
  });
}
