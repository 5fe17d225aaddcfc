import { describeArchitecture, isBidirectional } from './architecture';
import { backwardComponents } from './bidirectional';
import { cellComponents } from './cells/cellFactory';
import type { ComponentInfo } from './cells/recurrentCell';
import type { LanguageModel } from './languageModel';
import type { ModelSummary } from '../shared/modelSummary';
import type { LoadedModel, TrainingMetadata } from './modelFolder';

export type { ModelSummary };

export function summarizeModel(loaded: LoadedModel): ModelSummary {
  const arch = loaded.model.architecture;
  const t = loaded.training;
  const bidirectional = arch.layers.flatMap((l, i) => (isBidirectional(l) ? [i] : []));
  return {
    dir: loaded.dir,
    description: describeArchitecture(arch),
    cell: arch.cell,
    level: arch.level,
    layers: arch.layers.map((l) => l.units),
    parameters: loaded.model.parameterCount(),
    vocabulary: loaded.tokenizer.vocabulary.size,
    components: modelComponents(loaded.model).map((c) => ({ id: c.id, label: c.label })),
    ...(bidirectional.length > 0 ? { bidirectionalLayers: bidirectional } : {}),
    classes: arch.task === 'classifier' ? [...arch.classes] : undefined,
    training: t ? { ...withoutHistory(t), historyPoints: t.history.length } : undefined,
    resumable: loaded.optimizerWeights !== undefined,
  };
}

/** The cell's components, then the backward cell's when any layer is bidirectional. */
function modelComponents(model: LanguageModel): readonly ComponentInfo[] {
  const forward = cellComponents({ kind: model.architecture.cell });
  return model.causal ? forward : [...forward, ...backwardComponents(forward)];
}

function withoutHistory(t: TrainingMetadata): Omit<TrainingMetadata, 'history'> {
  const { history: _history, ...rest } = t;
  return rest;
}
