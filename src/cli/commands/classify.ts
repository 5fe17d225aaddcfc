import { classifierArchitecture } from '../../engine/classifier/classifierBatch';
import { classifyText, evaluateClassifier } from '../../engine/classifier/classify';
import { readLabelledData } from '../../engine/classifier/labelledData';
import { readTextFile } from '../../engine/corpus';
import { NeuronLensError } from '../../engine/errors';
import { loadModel } from '../../engine/modelFolder';
import { type Values, required, str } from '../args';
import type { CommandContext } from '../context';
import { classificationReportLines } from './trainClassifier';

export const CLASSIFY_OPTIONS = {
  model: { type: 'string' },
  text: { type: 'string' },
  file: { type: 'string' },
  data: { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
} as const;

export const CLASSIFY_HELP = `neuron-lens classify --model DIR (--text "..." | --file FILE | --data FILE|DIR) [--json]
  --text / --file          class probabilities of one text (the model reads its first max-tokens tokens)
  --data FILE|DIR          score the model on labelled data (as for train-classifier): accuracy,
                           per-class precision/recall/F1, confusion matrix
  --text-column C --label-column C   columns of --data (default "text" and "label")`;

export async function classifyCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model', 'a classifier folder from train-classifier');
  const sources = ['text', 'file', 'data'].filter((k) => str(v, k) !== undefined);
  if (sources.length !== 1) throw new NeuronLensError('Give exactly one of --text, --file or --data');
  const loaded = await loadModel(dir);
  try {
    classifierArchitecture(loaded.model);
    const data = str(v, 'data');
    if (data !== undefined) {
      const labelled = readLabelledData(data, { textColumn: str(v, 'text-column'), labelColumn: str(v, 'label-column') });
      const report = await evaluateClassifier(loaded, labelled.examples);
      if (v.json === true) ctx.io.out(JSON.stringify({ model: dir, data: labelled.name, ...report }));
      else for (const line of classificationReportLines(report)) ctx.io.out(line);
      return 0;
    }
    const file = str(v, 'file');
    const text = file !== undefined ? readTextFile(file) : str(v, 'text')!;
    const c = await classifyText(loaded, text);
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          model: dir,
          predicted: c.predicted,
          probabilities: c.probabilities,
          tokens: c.tokens.length,
          classifiedTokens: c.classifiedTokens,
        }),
      );
    } else {
      const ranked = [...c.probabilities].sort((a, b) => b.probability - a.probability);
      ctx.io.out(ranked.map((p) => `${p.label} ${(100 * p.probability).toFixed(1)}%`).join('  '));
      if (c.classifiedTokens < c.tokens.length) ctx.io.out(`(read the first ${c.classifiedTokens} of ${c.tokens.length} tokens)`);
    }
    return 0;
  } finally {
    loaded.model.dispose();
    for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
  }
}
