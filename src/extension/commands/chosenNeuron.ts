import * as vscode from 'vscode';
import type { ActiveModel } from '../modelService';
import type { ComponentChoice } from '../neuronLabels';
import { pickComponent } from '../neuronPicker';
import type { Selection } from '../neuronSelection';
import type { Services } from '../services';

/**
 * The neuron a command is about: the one shown in the editor, or, when none is yet, the one the
 * user picks through Highlight Active File by Neuron (which also shows it).
 */
export async function chosenNeuron(s: Services): Promise<Selection | undefined> {
  if (!s.selection.current) await vscode.commands.executeCommand('neuronLens.highlightActiveFile');
  return s.selection.current;
}

/** The component a command analyses: the shown neuron's, or, when none is shown, the one the user picks. */
export async function chosenComponent(s: Services, model: ActiveModel): Promise<ComponentChoice | undefined> {
  const shown = s.selection.current;
  if (shown) return { layer: shown.layer, component: shown.component, label: shown.componentLabel, units: shown.units };
  return pickComponent(model, undefined);
}
