import * as vscode from 'vscode';
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
