/**
 * Find Neurons for Selection: which neurons respond specifically to tokens like the selected
 * text (a space, a full stop, a word) in this document, most specific first; picking one shows it.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { componentTitle } from '../neuronLabels';
import { pickRankedNeuron } from '../neuronPicker';
import type { Services } from '../services';
import { chosenComponent } from './chosenNeuron';
import { reportError } from '../userErrors';

export async function findNeuronsForSelection(s: Services): Promise<void> {
  // The active editor, or the one beside a focused panel (as Highlight does).
  const editor = s.recentEditor.editor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Neuron Lens: select some text first (for example a space, a full stop or a word).');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const choice = await chosenComponent(s, model);
  if (!choice) return;
  const start = document.offsetAt(editor.selection.start);
  const end = document.offsetAt(editor.selection.end);
  const selectedText = document.getText(editor.selection);
  const what = componentTitle(choice, model.layers.length);

  const release = s.highlighter.hold(document);
  try {
    const ranking = await withCancellableProgress(
      `Neuron Lens: ranking the neurons of ${what}`,
      async (signal) => {
        await s.highlighter.analyze(document, choice, { complete: true, signal });
        return s.engine.request('rankNeuronsForSelection', { docId: document.uri.toString(), start, end }, { signal });
      },
      { delayMs: 300 },
    );
    if (ranking.matches === 0 || ranking.neurons.length === 0) {
      void vscode.window.showInformationMessage('Neuron Lens: no analysed token of this document matches the selection.');
      return;
    }
    const neuron = await pickRankedNeuron(ranking, selectedText, what);
    if (neuron === undefined) return;
    s.selection.set({ layer: choice.layer, component: choice.component, componentLabel: choice.label, units: choice.units, neuron });
    s.highlighter.highlight(document);
  } catch (e) {
    reportError(s.log, e, 'ranking neurons for the selection');
  } finally {
    release();
  }
}
