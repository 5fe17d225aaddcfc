import { loadModel } from '../../engine/modelFolder';
import { summarizeModel } from '../../engine/modelSummary';
import { summaryLines } from '../../shared/modelSummary';
import { type Values, required } from '../args';
import type { CommandContext } from '../context';

export const INFO_OPTIONS = { model: { type: 'string' } } as const;
export const INFO_HELP = 'neuron-lens info --model DIR [--json]   architecture, vocabulary, training metadata (validates the whole folder)';

export async function infoCommand(v: Values, ctx: CommandContext): Promise<number> {
  // A full load validates the weights too, so `info` doubles as a check of the folder.
  const loaded = await loadModel(required(v, 'model'));
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
