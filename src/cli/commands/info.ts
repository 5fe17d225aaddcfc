import { describeArchitecture } from '../../engine/architecture';
import { cellComponents } from '../../engine/cells/cellFactory';
import { loadModel } from '../../engine/modelFolder';
import { type Values, required } from '../args';
import type { CommandContext } from '../context';

export const INFO_OPTIONS = { model: { type: 'string' } } as const;
export const INFO_HELP = 'neuron-lens info --model DIR [--json]   architecture, vocabulary, training metadata (validates the whole folder)';

export async function infoCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  // A full load validates the weights too, so `info` doubles as a check of the folder.
  const loaded = await loadModel(dir);
  try {
    const arch = loaded.model.architecture;
    const t = loaded.training;
    const info = {
      dir,
      architecture: arch,
      description: describeArchitecture(arch),
      parameters: loaded.model.parameterCount(),
      vocabulary: loaded.tokenizer.vocabulary.size,
      components: cellComponents({ kind: arch.cell }).map((c) => ({ id: c.id, label: c.label })),
      training: t ? { ...t, history: undefined, historyPoints: t.history.length } : undefined,
      resumable: loaded.optimizerWeights !== undefined,
    };
    if (v.json === true) {
      ctx.io.out(JSON.stringify(info));
      return 0;
    }
    const unit = arch.level === 'char' ? 'char' : 'token';
    ctx.io.out(`${dir}: ${info.description}`);
    ctx.io.out(
      `parameters ${info.parameters.toLocaleString('en')}, components ${info.components.map((c) => `${c.id} (${c.label})`).join(', ')}`,
    );
    if (t) {
      ctx.io.out(
        `trained on ${t.corpus}: ${t.steps}/${t.targetSteps} steps${t.completed ? '' : ' (incomplete; resumable with train --resume)'}, batch ${t.batch} × ${t.seqLen}, lr ${t.learningRate}, seed ${t.seed}`,
      );
      if (t.validationBits !== undefined) {
        ctx.io.out(
          `validation ${t.validationBits.toFixed(3)} bits/${unit}, unigram entropy ${t.unigramEntropyBits?.toFixed(3) ?? '?'} bits/${unit}`,
        );
      }
    }
    return 0;
  } finally {
    loaded.model.dispose();
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
  }
}
