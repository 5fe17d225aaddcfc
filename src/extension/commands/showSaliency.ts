/**
 * Show Saliency at Cursor…: which earlier tokens the model's state at the cursor depends on. The
 * target is the shown neuron at the token before the cursor, or the model's prediction of the
 * token after it; the text from the start of the file (at most the engine's window) up to there
 * is coloured by each token's attribution, until the next edit. The window is the 256 tokens
 * before the cursor, read from a zero state (as the CLI reads a text). The window also goes to the
 * results panel as a card, whose button selects the window in the document again.
 */
import * as vscode from 'vscode';
import type { SaliencyTarget } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { formatSigned, neuronShortName } from '../neuronLabels';
import type { ResultsController } from '../panels/resultsController';
import { saliencyCard } from '../resultCards';
import type { Services } from '../services';
import { reportError } from '../userErrors';

const METHODS = [
  {
    label: 'Integrated gradients',
    description: '32 steps from a neutral input: attributions add up to the change in the target',
    method: 'ig' as const,
  },
  { label: 'Gradient × input', description: 'one backward pass: first-order effect of each token', method: 'grad-x-input' as const },
  { label: 'Gradient norm', description: 'one backward pass: how sensitive the target is to each token', method: 'grad' as const },
];

const IG_STEPS = 32;

export async function showSaliency(s: Services, results: ResultsController): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file and put the cursor where the model should be explained.');
    return;
  }
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const document = editor.document;
  const cursor = document.offsetAt(editor.selection.active);
  const shown = s.selection.current;
  const targets: (vscode.QuickPickItem & { target: SaliencyTarget })[] = [];
  if (shown) {
    targets.push({
      label: `${neuronShortName(shown.layer, shown.component, shown.neuron)} at the cursor`,
      description: 'the shown neuron, at the token before the cursor',
      target: { kind: 'neuron', layer: shown.layer, component: shown.component, neuron: shown.neuron },
    });
  }
  targets.push({
    label: 'The next token',
    description: 'the model’s score for the token after the cursor',
    target: { kind: 'next-token' },
  });
  const target = targets.length === 1 ? targets[0]! : await vscode.window.showQuickPick(targets, { title: 'Neuron Lens: explain…' });
  if (!target) return;
  const method = await vscode.window.showQuickPick(METHODS, { title: 'Neuron Lens: attribution method' });
  if (!method) return;
  // The next-token target needs the token after the cursor: a word is at most this long.
  const text = document.getText().slice(0, cursor + 200);
  if (cursor === 0) {
    void vscode.window.showInformationMessage('Neuron Lens: put the cursor after some text: saliency explains what comes before it.');
    return;
  }
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: computing saliency',
      (signal) =>
        s.engine.request('saliency', { text, offset: cursor, target: target.target, method: method.method, steps: IG_STEPS }, { signal }),
      { delayMs: 300 },
    );
    const gap =
      result.completenessGap === undefined
        ? ''
        : ` · Σ attributions − (target − baseline) = ${formatSigned(result.completenessGap, 4)} (target ${formatSigned(result.targetValue, 3)}, baseline ${formatSigned(result.baselineValue ?? 0, 3)})`;
    // The card first: its panel opens beside (narrowing the editor) before the scores are painted.
    // Its button selects the window again while the document holds the same text there.
    const start = result.starts[0]!;
    results.add(saliencyCard(result, text, { document: documentName(document), steps: IG_STEPS }), {
      kind: 'window',
      uri: document.uri.toString(),
      start,
      text: text.slice(start, result.ends[result.ends.length - 1]!),
    });
    s.overlay.show(editor, {
      title: `${method.label} of ${result.target}`,
      starts: result.starts,
      ends: result.ends,
      scores: result.scores,
      detail: `Target value ${formatSigned(result.targetValue, 4)}${gap}. Cleared at the next edit.`,
    });
    vscode.window.setStatusBarMessage(`Neuron Lens: ${method.label.toLowerCase()} of ${result.target}`, 8000);
  } catch (e) {
    reportError(s.log, e, 'computing saliency');
  }
}
