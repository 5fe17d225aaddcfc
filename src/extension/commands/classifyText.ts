/**
 * Classify Active File or Selection: a text classifier's class probabilities for the selected
 * text (or the whole file), shown as a list with the predicted class first; the file can then be
 * highlighted by the classifier's neurons like any model's.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function classifyText(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file (or select some text) to classify.');
    return;
  }
  const model = await s.models.ensureModel(true);
  if (!model) return;
  if (!model.classes) {
    void vscode.window.showInformationMessage(
      'Neuron Lens: the active model is a language model. Load a classifier (trained with `neuron-lens train-classifier`) to classify text.',
    );
    return;
  }
  const selected = !editor.selection.isEmpty;
  const text = selected ? editor.document.getText(editor.selection) : editor.document.getText();
  const what = selected ? 'the selection' : (editor.document.uri.path.split('/').pop() ?? 'the file');
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: classifying',
      (signal) => s.engine.request('classify', { text }, { signal }),
      {
        delayMs: 300,
      },
    );
    const read =
      result.classifiedTokens < result.tokens
        ? ` · read the first ${result.classifiedTokens.toLocaleString('en')} of ${result.tokens.toLocaleString('en')} tokens`
        : '';
    const items = [...result.probabilities]
      .sort((a, b) => b.probability - a.probability)
      .map((p) => ({
        label: p.label,
        description: `${(100 * p.probability).toFixed(1)} %`,
        detail: '█'.repeat(Math.round(20 * p.probability)) || '▏',
      }));
    await vscode.window.showQuickPick(items, { title: `Neuron Lens: ${what} is ${result.predicted}${read}` });
  } catch (e) {
    reportError(s.log, e, 'classifying the text');
  }
}
