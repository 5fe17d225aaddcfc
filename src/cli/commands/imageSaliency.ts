import { saliencyMap } from '../../engine/vision/saliencyMap';
import { tilePictures, toPicture } from '../../engine/vision/imagePng';
import { type Values, str } from '../args';
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

export const IMAGE_SALIENCY_OPTIONS = {
  ...IMAGE_INPUT_OPTIONS,
  ...PNG_SCALE_OPTION,
  class: { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_SALIENCY_HELP = `neuron-lens image-saliency --model DIR (--digit N | --image PATH) [--class C] [--out FILE.png] [--json]
${IMAGE_INPUT_HELP}
  --class C                class name or index whose score is explained (default: the predicted class)
  --out FILE.png           the input and its saliency map side by side (white: most salient)
  --scale K                integer zoom of the PNG (default 8)
Saliency = max over channels of |d class score / d pixel|.`;

export async function imageSaliencyCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const input = readImageInput(v, loaded);
    const a = loaded.model.architecture;
    const r = saliencyMap(loaded.model, input.pixels, classOption(v, 'class', loaded.classes));
    const out = str(v, 'out');
    if (out) {
      const map = toPicture(r.map, a.height, a.width, 1, { kind: 'auto' });
      await writePicture(out, tilePictures([inputPicture(input.pixels, [a.height, a.width, a.channels]), map], 2, 1), pngScale(v));
    }
    let peak = 0;
    r.map.forEach((value, i) => {
      if (value > r.map[peak]!) peak = i;
    });
    const summary = {
      input: input.label,
      trueClass: input.trueClass === undefined ? undefined : loaded.classes[input.trueClass],
      predicted: loaded.classes[r.predicted],
      class: loaded.classes[r.classIndex],
      score: round(r.score),
      maxSaliency: round(r.map[peak]!),
      maxAt: { y: Math.floor(peak / a.width), x: peak % a.width },
      out,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else
      ctx.io.out(
        `${input.label}: predicted ${summary.predicted}; saliency of class ${summary.class} (score ${summary.score}) peaks at y=${summary.maxAt.y} x=${summary.maxAt.x}` +
          (out ? `\nwrote ${out}` : ''),
      );
    return 0;
  });
}
