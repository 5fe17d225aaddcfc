/**
 * Find a Fooling Edit…: a few token substitutions (HotFlip: ranked by the gradient, checked with
 * real forward passes) that change what a text classifier predicts for the selection or the
 * file. The result is a card of the results panel (the text before and after, edited tokens
 * marked, the class probabilities along the way) whose buttons open the edited text in a new
 * editor and the Markdown report of the edits; the document itself is never changed.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { foolingReport } from '../foolingReport';
import type { ResultsController } from '../panels/resultsController';
import { foolingCard } from '../resultCards';
import type { Services } from '../services';
import { reportError } from '../userErrors';

const MAX_FLIPS = 5;

export async function foolClassifier(s: Services, results: ResultsController): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file (or select some text) first.');
    return;
  }
  const model = await s.models.ensureModel(true);
  if (!model) return;
  if (!model.classes) {
    void vscode.window.showInformationMessage('Neuron Lens: fooling edits need a text classifier; the active model is a language model.');
    return;
  }
  const goal = await vscode.window.showQuickPick(
    [
      { label: 'Any other class', targetClass: undefined as number | undefined },
      ...model.classes.map((c, i) => ({ label: `Class ${c}`, targetClass: i })),
    ],
    { title: 'Neuron Lens: make the classifier predict…' },
  );
  if (!goal) return;
  const text = editor.selection.isEmpty ? editor.document.getText() : editor.document.getText(editor.selection);
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: searching for a fooling edit',
      (signal, progress) =>
        s.engine.request(
          'fool',
          { text, targetClass: goal.targetClass, maxFlips: MAX_FLIPS },
          { signal, onProgress: (p) => progress.report(p) },
        ),
      { delayMs: 300 },
    );
    const source = `${documentName(editor.document)}${editor.selection.isEmpty ? '' : ' (selection)'}`;
    results.add(foolingCard(result, text, { document: source, maxFlips: MAX_FLIPS }), {
      kind: 'edit',
      language: editor.document.languageId,
      text: result.text,
      report: { title: result.flipped ? `Fooling edit: ${result.predicted}` : 'No fooling edit found', markdown: foolingReport(result) },
    });
  } catch (e) {
    reportError(s.log, e, 'searching for a fooling edit');
  }
}
