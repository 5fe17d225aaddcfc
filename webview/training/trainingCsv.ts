import type { FromWebview, TrainingRunData } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/** One row per reported step; validation columns are filled on the steps it was measured. */
export function trainingCsv(run: TrainingRunData): FromWebview {
  const unit = run.unit.replace('/', '_per_');
  const header = [
    'step',
    `train_${unit}`,
    'train_perplexity',
    `validation_${unit}`,
    'validation_perplexity',
    'tokens_per_second',
    'elapsed_ms',
  ];
  const rows = run.points.map((p) => [
    p.step,
    p.trainBits,
    2 ** p.trainBits,
    p.validationBits,
    p.validationBits === undefined ? undefined : 2 ** p.validationBits,
    p.tokensPerSecond,
    Math.round(p.elapsedMs),
  ]);
  return csvExport(header, rows, fileName(run.title, 'training', 'csv'));
}
