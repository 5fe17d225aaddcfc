import type { ModelSummary } from '../../shared/modelSummary';
import type { SidePanelModel } from '../../shared/sidePanelMessages';
import { modelName } from '../neuronLabels';

/**
 * The model as the side panel shows it: only what it displays crosses to the page (not, say, the
 * optimizer's learning rate), and the engine's current backend joins the model's own facts.
 */
export function sidePanelModel(model: ModelSummary, backend: string | undefined): SidePanelModel {
  const t = model.training;
  return {
    name: modelName(model),
    dir: model.dir,
    cell: model.cell,
    level: model.level,
    layers: [...model.layers],
    parameters: model.parameters,
    vocabulary: model.vocabulary,
    components: model.components.map((c) => ({ id: c.id, label: c.label })),
    ...(model.bidirectionalLayers ? { backwardLayers: [...model.bidirectionalLayers] } : {}),
    training: t && {
      corpus: t.corpus,
      steps: t.steps,
      targetSteps: t.targetSteps,
      completed: t.completed,
      validationBits: t.validationBits,
      unigramEntropyBits: t.unigramEntropyBits,
      backend: t.backend,
    },
    backend,
  };
}
