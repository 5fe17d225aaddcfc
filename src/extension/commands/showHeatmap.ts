/**
 * Show Activation Heatmap: neurons × tokens of the active file (or of its selection) in the
 * highlighter's layer and component, beside the editor, with the relevance of every neuron to the
 * experiment's features of interest.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function showHeatmap(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first, then show its heatmap.');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  const selection = editor.selection;
  const range: [number, number] | undefined = selection.isEmpty
    ? undefined
    : [document.offsetAt(selection.start), document.offsetAt(selection.end)];
  try {
    await s.heatmap.show(document, range);
  } catch (e) {
    reportError(s.log, e, 'showing the heatmap');
  }
}
