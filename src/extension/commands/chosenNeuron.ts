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

/** What a command about the shown neuron on the active document works with. */
export interface NeuronOnDocument {
  editor: vscode.TextEditor;
  document: vscode.TextDocument;
  model: ActiveModel;
  neuron: Selection;
}

/**
 * The active document, the model (loaded or trained on request) and the chosen neuron, or
 * undefined once the user has been told what is missing (`purpose` ends "open a text file first,
 * then …"). `accepts` may refuse the model, with its own message, before any neuron is asked for.
 */
export async function neuronOnActiveDocument(
  s: Services,
  purpose: string,
  accepts?: (model: ActiveModel) => boolean,
): Promise<NeuronOnDocument | undefined> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage(`Neuron Lens: open a text file first, then ${purpose}.`);
    return undefined;
  }
  if (s.highlighter.refuses(editor.document)) return undefined;
  const model = await s.models.ensureModel(true);
  if (!model || (accepts && !accepts(model))) return undefined;
  const neuron = await chosenNeuron(s);
  return neuron && { editor, document: editor.document, model, neuron };
}
