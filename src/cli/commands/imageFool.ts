import { foolingImage } from '../../engine/vision/foolingImage';
import { tilePictures, toPicture } from '../../engine/vision/imagePng';
import { NeuronLensError } from '../../engine/errors';
import { type Values, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import {
  IMAGE_INPUT_HELP,
  IMAGE_INPUT_OPTIONS,
  PNG_SCALE_OPTION,
  classOption,
  inputPicture,
  pngScale,
  readImageInput,
  round,
  withImageModel,
  writePicture,
} from './imageInput';

export const IMAGE_FOOL_OPTIONS = {
  ...IMAGE_INPUT_OPTIONS,
  ...PNG_SCALE_OPTION,
  target: { type: 'string' },
  step: { type: 'string' },
  lr: { type: 'string' },
  'max-steps': { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_FOOL_HELP = `neuron-lens image-fool --model DIR (--digit N | --image PATH) --target C [options]
${IMAGE_INPUT_HELP}
  --target C               the class the image should be taken for (name or index)
  --step sign|l2           sign: ±lr per pixel (iterative FGSM, small L∞; default); l2: cs231n's L2-normalised step
  --lr X --max-steps N     step size (default 0.01) and limit (default 200)
  --out FILE.png           original | fooling image | difference magnified (grey = no change)
  --scale K                integer zoom of the PNG (default 8)
Reports whether the model was fooled, the step count and the L∞ / RMS distance.`;

export async function imageFoolCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const target = classOption(v, 'target', loaded.classes);
    if (target === undefined) throw new NeuronLensError('--target is required (the class to fool the model into)');
    const input = readImageInput(v, loaded);
    const r = foolingImage(loaded.model, input.pixels, target, {
      step: oneOf(v, 'step', ['sign', 'l2'] as const, 'sign'),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      maxSteps: num(v, 'max-steps', undefined, { int: true, min: 0, max: 100_000 }),
    });
    const out = str(v, 'out');
    if (out) {
      const [h, w, c] = r.shape;
      const difference = toPicture(r.difference, h, w, c, { kind: 'signed' });
      await writePicture(
        out,
        tilePictures([inputPicture(input.pixels, r.shape), inputPicture(r.image, r.shape), difference], 3, 1),
        pngScale(v),
      );
    }
    const summary = {
      input: input.label,
      original: loaded.classes[r.originalClass],
      target: loaded.classes[r.targetClass],
      predicted: loaded.classes[r.predicted],
      fooled: r.fooled,
      steps: r.steps,
      linf: round(r.linf),
      rms: round(r.l2),
      targetProbability: round(r.targetProbability),
      settings: r.settings,
      out,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else
      ctx.io.out(
        `${input.label}: ${summary.original} → ${summary.predicted} ${r.fooled ? 'fooled' : 'NOT fooled'} after ${r.steps} steps; ` +
          `L∞ ${summary.linf}, RMS ${summary.rms}, p(${summary.target}) = ${summary.targetProbability}` +
          (out ? `\nwrote ${out}` : ''),
      );
    return r.fooled ? 0 : 1;
  });
}
