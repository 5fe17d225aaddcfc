/**
 * Show Neuron Spectra: the Fourier analysis of the active file's neurons (the highlighter's layer
 * and component; the experiment's neurons, band of interest, window and scale), beside the editor.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function showSpectra(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first, then show its spectra.');
    return;
  }
  if (s.highlighter.refuses(editor.document)) return;
  try {
    await s.fourier.show(editor.document);
  } catch (e) {
    reportError(s.log, e, 'showing the spectra');
  }
}
