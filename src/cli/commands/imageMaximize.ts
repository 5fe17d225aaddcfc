import { maximizeActivation, type MaximizeResult } from '../../engine/vision/activationMaximization';
import { findImageLayer } from '../../engine/vision/imageArchitecture';
import { tilePictures } from '../../engine/vision/imagePng';
import { NeuronLensError } from '../../engine/errors';
import { type Values, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import { PNG_SCALE_OPTION, classOption, inputPicture, pngScale, round, withImageModel, writePicture } from './imageInput';

export const IMAGE_MAXIMIZE_OPTIONS = {
  ...PNG_SCALE_OPTION,
  model: { type: 'string' },
  layer: { type: 'string' },
  unit: { type: 'string' },
  class: { type: 'string' },
  all: { type: 'boolean' },
  spatial: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  l2: { type: 'string' },
  jitter: { type: 'string' },
  'blur-every': { type: 'string' },
  'blur-sigma': { type: 'string' },
  octaves: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_MAXIMIZE_HELP = `neuron-lens image-maximize --model DIR (--class C | --layer L --unit N | --layer L --all) [options]
  Activation maximisation from noise by gradient ascent (class visualisation, Erhan filter maximisation).
  --class C                a class logit (name or index): same as --layer logits --unit C
  --layer L --unit N       a filter of a conv/pool layer or a neuron of a dense layer
  --all                    every unit of --layer: a gallery
  --spatial centre|mean    a filter's centre unit (before ReLU, default) or its map's mean (after ReLU)
  --steps N --lr X         steps per octave and per-pixel step (default 200, 0.02)
  --l2 D                   L2 decay per step, 0 = off (default 0.001)
  --jitter P               random shift of up to P pixels per step, 0 = off (default 1)
  --blur-every K --blur-sigma S   Gaussian blur every K steps, 0 = off (default 10, 0.5)
  --octaves O              multi-scale: start at 1/2^(O-1) size and upsample (default 1 = off)
  --seed S                 starting noise
  --out FILE.png           the image (or gallery); --scale K integer zoom (default 8)`;

export async function imageMaximizeCommand(v: Values, ctx: CommandContext): Promise<number> {
  return withImageModel(v, async (loaded) => {
    const a = loaded.model.architecture;
    const classIndex = classOption(v, 'class', loaded.classes);
    const layer = classIndex !== undefined ? 'logits' : (str(v, 'layer') ?? 'logits');
    const info = findImageLayer(a, layer);
    const count = info.shape[info.shape.length - 1]!;
    let units: number[];
    if (v.all === true) units = Array.from({ length: count }, (_, i) => i);
    else if (classIndex !== undefined) units = [classIndex];
    else {
      const unit = num(v, 'unit', undefined, { int: true, min: 0 });
      if (unit === undefined) throw new NeuronLensError('Give --class C, --unit N or --all');
      units = [unit];
    }
    const settings = {
      steps: num(v, 'steps', undefined, { int: true, min: 0, max: 100_000 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      l2Decay: num(v, 'l2', undefined, { min: 0, max: 1 }),
      jitter: num(v, 'jitter', undefined, { int: true, min: 0, max: 64 }),
      blurEvery: num(v, 'blur-every', undefined, { int: true, min: 0 }),
      blurSigma: num(v, 'blur-sigma', undefined, { min: 0, max: 16 }),
      octaves: num(v, 'octaves', undefined, { int: true, min: 1, max: 6 }),
      seed: num(v, 'seed', undefined, { int: true }),
    };
    const defined = Object.fromEntries(Object.entries(settings).filter(([, x]) => x !== undefined));
    const spatial = oneOf(v, 'spatial', ['centre', 'mean'] as const, 'centre');
    const results: MaximizeResult[] = [];
    for (const unit of units) {
      results.push(maximizeActivation(loaded.model, { layer, unit, spatial }, defined));
      if (units.length > 1 && v.json !== true) ctx.io.err(`${layer} unit ${unit}: ${round(results[results.length - 1]!.finalValue, 4)}`);
    }
    const out = str(v, 'out');
    if (out) {
      const pictures = results.map((r) => inputPicture(r.image, r.shape));
      await writePicture(out, tilePictures(pictures, Math.ceil(Math.sqrt(pictures.length)), 1), pngScale(v));
    }
    const predicted = (r: MaximizeResult): string => loaded.classes[r.logits.indexOf(Math.max(...r.logits))]!;
    const summary = {
      layer,
      spatial: info.kind === 'conv' || info.kind === 'pool' ? spatial : undefined,
      settings: results[0]?.settings,
      units: results.map((r) => ({
        unit: r.target.unit,
        initialValue: round(r.initialValue),
        finalValue: round(r.finalValue),
        predicted: predicted(r),
      })),
      out,
    };
    if (v.json === true) ctx.io.out(JSON.stringify(summary));
    else {
      for (const u of summary.units)
        ctx.io.out(
          `${layer}${layer === 'logits' ? ` (${loaded.classes[u.unit]})` : ''} unit ${u.unit}: ${u.initialValue} → ${u.finalValue}; the image is classified as ${u.predicted}`,
        );
      ctx.io.out(`settings: ${JSON.stringify(summary.settings)}` + (out ? `\nwrote ${out}` : ''));
    }
    return 0;
  });
}
