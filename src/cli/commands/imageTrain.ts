import { IMAGE_MODEL_KINDS, type ConvBlockSpec } from '../../engine/vision/imageArchitecture';
import { DEFAULT_IMAGE_TRAIN_OPTIONS } from '../../engine/vision/imageTrainer';
import { runImageTraining } from '../../engine/vision/imageTrainingRun';
import { NeuronLensError } from '../../engine/errors';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';
import { formatConfusion, parseSize } from './imageInput';

export const IMAGE_TRAIN_OPTIONS = {
  arch: { type: 'string' },
  data: { type: 'string' },
  size: { type: 'string' },
  channels: { type: 'string' },
  filters: { type: 'string' },
  kernel: { type: 'string' },
  dense: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  shift: { type: 'string' },
  schedule: { type: 'string' },
  'test-fraction': { type: 'string' },
  out: { type: 'string' },
} as const;

export const IMAGE_TRAIN_HELP = `neuron-lens image-train --out DIR [options]
  --arch mlp|convnet       model (default convnet: conv/ReLU/max-pool blocks, dense, softmax)
  --data mnist|DIR         the mnist package's 10,000 digits (default) or a folder with one sub-folder per class (PNG/JPEG)
  --size HxW --channels 1|3  input size for folder images (default 28x28, 1 = grey); images are area-resized
  --filters 16,32 --kernel 5 filters per conv block and kernel size (convnet)
  --dense 128              hidden dense layer sizes (default 128 for convnet, 256,128 for mlp)
  --epochs N --batch B --lr X --seed S   (defaults ${DEFAULT_IMAGE_TRAIN_OPTIONS.epochs}, ${DEFAULT_IMAGE_TRAIN_OPTIONS.batch}, ${DEFAULT_IMAGE_TRAIN_OPTIONS.learningRate}, ${DEFAULT_IMAGE_TRAIN_OPTIONS.seed})
  --shift P                augment: shift training images by up to P pixels (default 0)
  --schedule cosine|constant  learning rate over the run (default cosine: from --lr down to 0)
  --test-fraction F        per class, the last F of the images are the test set (default 0.2)
  --json                   JSON lines on stdout instead of text
Prints the test accuracy and the confusion matrix (rows: true class, columns: predicted).`;

function counts(v: Values, name: string): number[] | undefined {
  const x = str(v, name);
  if (x === undefined) return undefined;
  const parts = x.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 8192))
    throw new NeuronLensError(`--${name} must be a comma-separated list of sizes like 16,32, not "${x}"`);
  return parts.map(Number);
}

export async function imageTrainCommand(v: Values, ctx: CommandContext): Promise<number> {
  const out = required(v, 'out', 'the folder to save the model in');
  const kind = oneOf(v, 'arch', IMAGE_MODEL_KINDS, 'convnet');
  const json = v.json === true;
  const size = parseSize(str(v, 'size', '28x28')!);
  const kernel = num(v, 'kernel', 5, { int: true, min: 1, max: 15 })!;
  const filters = counts(v, 'filters');
  if (kind === 'mlp' && (filters || str(v, 'kernel') !== undefined))
    throw new NeuronLensError('--filters and --kernel are for --arch convnet');
  const convBlocks: ConvBlockSpec[] | undefined = filters?.map((f) => ({ filters: f, kernel }));
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const run = await runImageTraining({
      kind,
      data: str(v, 'data', 'mnist')!,
      height: size.height,
      width: size.width,
      channels: num(v, 'channels', 1, { int: true, min: 1, max: 3 }) === 3 ? 3 : 1,
      convBlocks: convBlocks ?? (str(v, 'kernel') !== undefined ? [16, 32].map((f) => ({ filters: f, kernel })) : undefined),
      dense: counts(v, 'dense'),
      testFraction: num(v, 'test-fraction', undefined, { min: 0.01, max: 0.9 }),
      epochs: num(v, 'epochs', undefined, { int: true, min: 1, max: 10_000 }),
      batch: num(v, 'batch', undefined, { int: true, min: 1, max: 4096 }),
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      seed: num(v, 'seed', undefined, { int: true }),
      shift: num(v, 'shift', undefined, { int: true, min: 0, max: 16 }),
      schedule: oneOf(v, 'schedule', ['cosine', 'constant'] as const, 'cosine'),
      out,
      backend: ctx.backend,
      signal: controller.signal,
      onProgress: (p) => {
        if (json) ctx.io.out(JSON.stringify({ type: 'progress', ...p }));
        else if (p.testAccuracy !== undefined)
          ctx.io.err(
            `epoch ${p.epoch}/${p.totalEpochs}  test accuracy ${(100 * p.testAccuracy).toFixed(2)}%  ${(p.elapsedMs / 1000).toFixed(1)} s`,
          );
        else if (p.step % 50 === 0)
          ctx.io.err(`epoch ${p.epoch}/${p.totalEpochs}  step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}`);
      },
    });
    const { result, loaded } = run;
    const summary = {
      type: 'done',
      out,
      arch: kind,
      cancelled: result.cancelled,
      epochs: result.epochs,
      steps: result.steps,
      trainImages: run.trainImages,
      testImages: run.testImages,
      testAccuracy: result.test.accuracy,
      testLoss: result.test.loss,
      classes: loaded.classes,
      confusion: result.test.confusion,
      imagesPerSecond: result.imagesPerSecond,
      elapsedMs: result.elapsedMs,
      backend: ctx.backend,
    };
    loaded.model.dispose();
    if (json) ctx.io.out(JSON.stringify(summary));
    else {
      ctx.io.out(
        `${result.cancelled ? 'Cancelled' : 'Trained'} ${kind} for ${result.epochs} epochs on ${run.trainImages} images → ${out}\n` +
          `test accuracy ${(100 * result.test.accuracy).toFixed(2)}% on ${run.testImages} images (loss ${result.test.loss.toFixed(4)})\n` +
          `${Math.round(result.imagesPerSecond)} images/s on ${ctx.backend}, ${(result.elapsedMs / 1000).toFixed(1)} s\n` +
          `confusion matrix (rows: true class, columns: predicted):\n${formatConfusion(loaded.classes, result.test.confusion)}`,
      );
    }
    return result.cancelled ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
