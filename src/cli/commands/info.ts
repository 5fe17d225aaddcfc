import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODEL_FILE, loadModel } from '../../engine/modelFolder';
import { loadImageModel } from '../../engine/vision/imageModelFolder';
import { summarizeModel } from '../../engine/modelSummary';
import { summaryLines } from '../../shared/modelSummary';
import { type Values, required } from '../args';
import type { CommandContext } from '../context';

export const INFO_OPTIONS = { model: { type: 'string' } } as const;
export const INFO_HELP = 'neuron-lens info --model DIR [--json]   architecture, vocabulary, training metadata (validates the whole folder)';

/** An image model's folder: its task says so (a missing or unreadable model.json is loadModel's to report). */
function isImageModel(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as { task?: unknown }).task === 'image-classifier';
  } catch {
    return false;
  }
}

async function imageInfo(dir: string, v: Values, ctx: CommandContext): Promise<number> {
  const loaded = await loadImageModel(dir);
  try {
    const a = loaded.model.architecture;
    if (v.json === true) {
      ctx.io.out(JSON.stringify({ dir, architecture: a, classes: loaded.classes, training: loaded.training }));
      return 0;
    }
    const blocks = a.convBlocks.map((b) => `conv ${JSON.stringify(b)}`).join(', ');
    ctx.io.out(`${dir}: image classifier (${a.kind}), input ${a.height}×${a.width}×${a.channels}`);
    ctx.io.out(`layers: ${[blocks, ...a.dense.map((u) => `dense ${u}`), `output ${a.numClasses}`].filter(Boolean).join(' → ')}`);
    ctx.io.out(`classes: ${loaded.classes.join(', ')}`);
    const t = loaded.training;
    if (t) {
      const accuracy =
        t.testAccuracy === undefined ? '' : `, test accuracy ${(100 * t.testAccuracy).toFixed(2)}% on ${t.testImages} images`;
      ctx.io.out(
        `trained on ${t.source}: ${t.epochs}/${t.targetEpochs} epochs, batch ${t.batch}, lr ${t.learningRate}, seed ${t.seed}${accuracy}`,
      );
    }
    return 0;
  } finally {
    loaded.model.dispose();
  }
}

export async function infoCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  if (isImageModel(dir)) return imageInfo(dir, v, ctx);
  // A full load validates the weights too, so `info` doubles as a check of the folder.
  const loaded = await loadModel(dir);
  try {
    const summary = summarizeModel(loaded);
    if (v.json === true) ctx.io.out(JSON.stringify({ ...summary, architecture: loaded.model.architecture }));
    else for (const line of summaryLines(summary)) ctx.io.out(line);
    return 0;
  } finally {
    loaded.model.dispose();
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
  }
}
