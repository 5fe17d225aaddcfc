/**
 * Show Saliency at Cursor…: which tokens a prediction or a neuron depends on. For a language model
 * the target is the shown neuron at the token before the cursor, or the model's prediction of the
 * token after it, over the 256 tokens before the cursor read from a zero state (as the CLI reads a
 * text). For a text classifier it is one class's score ("Class score: <name>", the predicted class
 * first) or the shown neuron at the cursor; a class score explains the prediction Classify Active
 * File or Selection makes, so its window is the same text: the selection if any, else the file
 * from its start, wherever the cursor is, cut to the classifier's first maxTokens tokens (see
 * saliencyWindow). The window's tokens are coloured by their attribution until the next edit, and
 * the window goes to the results panel as a card whose button selects it in the document again.
 */
import * as vscode from 'vscode';
import type { SaliencyTarget } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { formatSigned, neuronShortName } from '../neuronLabels';
import type { ResultsController } from '../panels/resultsController';
import { type ExplainedClass, saliencyCard } from '../resultCards';
import { saliencyWindow } from '../saliencyWindow';
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

type TargetItem = vscode.QuickPickItem & { target: SaliencyTarget; explainedClass?: ExplainedClass };

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
  const selection = { start: document.offsetAt(editor.selection.start), end: document.offsetAt(editor.selection.end) };
  const length = document.getText().length;
  const shown = s.selection.current;
  const targets: TargetItem[] = [];
  if (model.classes) {
    const classWindow = saliencyWindow('class', length, selection, cursor);
    const classes = await classTargets(s, document.getText().slice(classWindow.start, classWindow.end), classWindow.fromSelection);
    if (!classes) return;
    targets.push(...classes);
  }
  if (shown) {
    targets.push({
      label: `${neuronShortName(shown.layer, shown.component, shown.neuron)} at the cursor`,
      description: 'the shown neuron, at the token before the cursor',
      target: { kind: 'neuron', layer: shown.layer, component: shown.component, neuron: shown.neuron },
    });
  }
  if (!model.classes) {
    targets.push({
      label: 'The next token',
      description: 'the model’s score for the token after the cursor',
      target: { kind: 'next-token' },
    });
  }
  const target = targets.length === 1 ? targets[0]! : await vscode.window.showQuickPick(targets, { title: 'Neuron Lens: explain…' });
  if (!target) return;
  const method = await vscode.window.showQuickPick(METHODS, { title: 'Neuron Lens: attribution method' });
  if (!method) return;
  const textWindow = saliencyWindow(target.target.kind, length, selection, cursor);
  const text = document.getText().slice(textWindow.start, textWindow.end);
  if (target.target.kind !== 'class' && cursor === 0) {
    void vscode.window.showInformationMessage('Neuron Lens: put the cursor after some text: saliency explains what comes before it.');
    return;
  }
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: computing saliency',
      (signal) =>
        s.engine.request(
          'saliency',
          { text, offset: textWindow.offset, target: target.target, method: method.method, steps: IG_STEPS },
          { signal },
        ),
      { delayMs: 300 },
    );
    const gap =
      result.completenessGap === undefined
        ? ''
        : ` · Σ attributions − (target − baseline) = ${formatSigned(result.completenessGap, 4)} (target ${formatSigned(result.targetValue, 3)}, baseline ${formatSigned(result.baselineValue ?? 0, 3)})`;
    // The card first: its panel opens beside (narrowing the editor) before the scores are painted.
    // Its button selects the window again while the document holds the same text there.
    const first = result.starts[0]!;
    results.add(saliencyCard(result, text, { document: documentName(document), steps: IG_STEPS, explainedClass: target.explainedClass }), {
      kind: 'window',
      uri: document.uri.toString(),
      start: textWindow.start + first,
      text: text.slice(first, result.ends[result.ends.length - 1]!),
    });
    // The engine's offsets are into the window's text; the overlay colours the document.
    s.overlay.show(editor, {
      title: `${method.label} of ${result.target}`,
      starts: result.starts.map((o) => o + textWindow.start),
      ends: result.ends.map((o) => o + textWindow.start),
      scores: result.scores,
      detail: `Target value ${formatSigned(result.targetValue, 4)}${gap}. Cleared at the next edit.`,
    });
    vscode.window.setStatusBarMessage(`Neuron Lens: ${method.label.toLowerCase()} of ${result.target}`, 8000);
  } catch (e) {
    reportError(s.log, e, 'computing saliency');
  }
}

/**
 * One "Class score" item per class, the predicted class first: the classifier's probabilities on
 * the same text the class score is explained on. Undefined when there is nothing to classify or
 * classifying failed (the user has been told).
 */
async function classTargets(s: Services, text: string, fromSelection: boolean): Promise<TargetItem[] | undefined> {
  if (text.trim().length === 0) {
    void vscode.window.showInformationMessage(
      `Neuron Lens: ${fromSelection ? 'the selection' : 'the file'} is empty: there is nothing for the classifier to explain.`,
    );
    return undefined;
  }
  try {
    const r = await withCancellableProgress('Neuron Lens: classifying', (signal) => s.engine.request('classify', { text }, { signal }), {
      delayMs: 300,
    });
    const read =
      r.classifiedTokens < r.tokens
        ? `, its first ${r.classifiedTokens.toLocaleString('en')} of ${r.tokens.toLocaleString('en')} tokens`
        : '';
    return r.probabilities
      .map((p, index) => ({ ...p, index }))
      .sort((a, b) => b.probability - a.probability)
      .map((p) => {
        const predicted = p.label === r.predicted;
        return {
          label: `Class score: ${p.label}`,
          description: `${predicted ? 'predicted · ' : ''}${(100 * p.probability).toFixed(1)} %`,
          detail: `the class’s logit on ${fromSelection ? 'the selection' : 'the file'}${read}, as the classifier pools it`,
          target: { kind: 'class', index: p.index },
          explainedClass: { name: p.label, probability: p.probability, predicted },
        };
      });
  } catch (e) {
    reportError(s.log, e, 'classifying the text');
    return undefined;
  }
}
