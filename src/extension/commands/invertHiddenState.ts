/**
 * Invert Hidden State of Selection…: token sequences whose hidden state (in the layer of the
 * shown neuron) after their last token matches the one the selection, or the line at the cursor,
 * leaves — feature inversion over the same softmax relaxation as maximisation, each start decoded
 * and re-scored with the real model. The sequences appear as a card of the results panel, closest
 * first; a row's button opens that sequence in a new editor.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import type { ResultsController } from '../panels/resultsController';
import { inversionCard } from '../resultCards';
import type { Services } from '../services';
import { reportError } from '../userErrors';

const STARTS = 8;
const STEPS = 200;

export async function invertHiddenState(s: Services, results: ResultsController): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: select some text (or put the cursor on a line) to invert its state.');
    return;
  }
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const document = editor.document;
  const range = editor.selection.isEmpty ? document.lineAt(editor.selection.active.line).range : editor.selection;
  const text = document.getText(range);
  if (text.trim().length === 0) {
    void vscode.window.showInformationMessage(
      'Neuron Lens: the selection (or the line at the cursor) is empty: there is no state to invert.',
    );
    return;
  }
  // The shown neuron's layer, else the last: the state the model's prediction reads.
  const layer = s.selection.current?.layer ?? model.layers.length - 1;
  const unit = model.level === 'char' ? 'characters' : 'tokens';
  const lengthText = await vscode.window.showInputBox({
    title: `Neuron Lens: invert the hidden state of layer ${layer}: length`,
    prompt: `How many ${unit} each recovered sequence has`,
    value: model.level === 'char' ? '20' : '8',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 200 ? undefined : 'A whole number from 1 to 200'),
  });
  if (lengthText === undefined) return;
  const from = range.start;
  const where = `${documentName(document)}, ${editor.selection.isEmpty ? `line ${from.line + 1}` : `selection at ${from.line + 1}:${from.character + 1}`}`;
  try {
    const result = await withCancellableProgress(
      `Neuron Lens: inverting the hidden state of layer ${layer}`,
      (signal, progress) =>
        s.engine.request(
          'invert',
          { text, layer, component: 'h', length: Number(lengthText), starts: STARTS, steps: STEPS, seed: 1 },
          { signal, onProgress: (p) => progress.report(p) },
        ),
      { delayMs: 300 },
    );
    const card = inversionCard(result, { document: where, starts: STARTS, steps: STEPS });
    results.add(card, { kind: 'rowText' });
  } catch (e) {
    reportError(s.log, e, 'inverting the hidden state');
  }
}
