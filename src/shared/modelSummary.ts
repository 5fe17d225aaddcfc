import type { TrainingMetadata } from '../engine/modelFolder';

/** What a front end shows about a model: plain data, safe to send between threads. */
export interface ModelSummary {
  dir?: string;
  description: string;
  cell: string;
  level: string;
  layers: number[];
  parameters: number;
  vocabulary: number;
  /** Every layer's components; the `backward/…` ones belong to the bidirectional layers only. */
  components: { id: string; label: string }[];
  /** Layers with a backward direction (imported Keras Bidirectional layers); absent when none. */
  bidirectionalLayers?: number[];
  /** A text classifier's classes, in output order; absent for a language model. */
  classes?: string[];
  training?: Omit<TrainingMetadata, 'history'> & { historyPoints: number };
  resumable: boolean;
}

/** Human lines for a summary (CLI `info`, the extension's model info). */
export function summaryLines(s: ModelSummary): string[] {
  const unit = s.level === 'char' ? 'char' : 'token';
  const lines = [
    `${s.dir ? `${s.dir}: ` : ''}${s.description}`,
    `parameters ${s.parameters.toLocaleString('en')}, components ${s.components.map((c) => `${c.id} (${c.label})`).join(', ')}`,
  ];
  const t = s.training;
  if (t) {
    lines.push(
      `trained on ${t.corpus}: ${t.steps}/${t.targetSteps} steps${t.completed ? '' : ' (incomplete; resumable with train --resume)'}, batch ${t.batch} × ${t.seqLen}, lr ${t.learningRate}, seed ${t.seed}`,
    );
    // Classifiers record accuracy (an extra field of their training metadata) instead of bits.
    const accuracy = (t as { validationAccuracy?: unknown }).validationAccuracy;
    if (typeof accuracy === 'number') lines.push(`validation accuracy ${(100 * accuracy).toFixed(1)}%`);
    if (t.validationBits !== undefined) {
      lines.push(
        `validation ${t.validationBits.toFixed(3)} bits/${unit}, unigram entropy ${t.unigramEntropyBits?.toFixed(3) ?? '?'} bits/${unit}`,
      );
    }
  }
  return lines;
}
