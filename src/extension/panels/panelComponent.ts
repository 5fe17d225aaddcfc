/**
 * Which layer and component an analysis panel shows. The panels follow the highlighter (the
 * engine keeps one component per document, so a panel on another component would make the two
 * recompute each other's analysis in turn); before anything is highlighted they take the
 * experiment file's layer and component, and failing that the model's first layer and component.
 */
import type { ModelSummary } from '../../shared/modelSummary';
import type { ComponentChoice } from '../neuronLabels';

type ComponentRef = { layer: number; component: string };

export function panelComponent(
  model: Pick<ModelSummary, 'layers' | 'components'>,
  selection: ComponentRef | undefined,
  experiment: ComponentRef,
): ComponentChoice | undefined {
  for (const ref of [selection, experiment]) {
    const choice = ref && componentOf(model, ref);
    if (choice) return choice;
  }
  const first = model.components[0];
  const units = model.layers[0];
  return first && units !== undefined ? { layer: 0, component: first.id, label: first.label, units } : undefined;
}

/** The model's layer and component named by `ref`, if it has them. */
export function componentOf(model: Pick<ModelSummary, 'layers' | 'components'>, ref: ComponentRef): ComponentChoice | undefined {
  const units = model.layers[ref.layer];
  const component = model.components.find((c) => c.id === ref.component);
  return units !== undefined && component ? { layer: ref.layer, component: component.id, label: component.label, units } : undefined;
}
