import { describeArchitecture } from './architecture';
import { cellComponents } from './cells/cellFactory';
import type { ModelSummary } from '../shared/modelSummary';
import type { LoadedModel, TrainingMetadata } from './modelFolder';

export type { ModelSummary };

export function summarizeModel(loaded: LoadedModel): ModelSummary {
  const arch = loaded.model.architecture;
  const t = loaded.training;
  return {
    dir: loaded.dir,
    description: describeArchitecture(arch),
    cell: arch.cell,
    level: arch.level,
    layers: arch.layers.map((l) => l.units),
    parameters: loaded.model.parameterCount(),
    vocabulary: loaded.tokenizer.vocabulary.size,
    components: cellComponents({ kind: arch.cell }).map((c) => ({ id: c.id, label: c.label })),
    classes: arch.task === 'classifier' ? [...arch.classes] : undefined,
    training: t ? { ...withoutHistory(t), historyPoints: t.history.length } : undefined,
    resumable: loaded.optimizerWeights !== undefined,
  };
}

function withoutHistory(t: TrainingMetadata): Omit<TrainingMetadata, 'history'> {
  const { history: _history, ...rest } = t;
  return rest;
}
