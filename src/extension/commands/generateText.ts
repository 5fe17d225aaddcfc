/**
 * Generate Text…: samples text from the active model after a prime, opens it in a new editor and
 * highlights it with the selected neuron, so one can watch a neuron through text the model wrote.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { highlightActiveFile } from './highlightCommands';

/** The engine's limit: generation cannot be cancelled midway, so it is kept to seconds. */
const MAX_LENGTH = 5000;

export async function generateText(s: Services): Promise<void> {
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const unit = model.level === 'char' ? 'characters' : 'tokens';
  const prime = await vscode.window.showInputBox({
    title: 'Neuron Lens: Generate Text (1/3): prime',
    prompt: 'Text the model starts from and continues (may be empty)',
    value: 'The ',
  });
  if (prime === undefined) return;
  const lengthText = await vscode.window.showInputBox({
    title: 'Neuron Lens: Generate Text (2/3): length',
    prompt: `How many ${unit} to generate`,
    value: '500',
    validateInput: (v) => (isInteger(v, 1, MAX_LENGTH) ? undefined : `A whole number from 1 to ${MAX_LENGTH.toLocaleString('en')}`),
  });
  if (lengthText === undefined) return;
  const temperatureText = await vscode.window.showInputBox({
    title: 'Neuron Lens: Generate Text (3/3): temperature',
    prompt: 'Sampling temperature: 0 always takes the likeliest token, 1 samples the model as is, higher is wilder',
    value: '0.8',
    validateInput: (v) => (isNumber(v, 0, 5) ? undefined : 'A number from 0 to 5'),
  });
  if (temperatureText === undefined) return;
  try {
    const { text } = await withCancellableProgress(
      'Neuron Lens: generating text',
      (signal) =>
        s.engine.request(
          'generate',
          { prime, length: Number(lengthText), temperature: Number(temperatureText), seed: Math.floor(Math.random() * 2 ** 31) },
          { signal },
        ),
      { delayMs: 300 },
    );
    const document = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(document, { preview: false });
    if (s.selection.current) s.highlighter.highlight(document);
    else await highlightActiveFile(s);
  } catch (e) {
    reportError(s.log, e, 'generating text');
  }
}

function isInteger(v: string, min: number, max: number): boolean {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isInteger(n) && n >= min && n <= max;
}

function isNumber(v: string, min: number, max: number): boolean {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) && n >= min && n <= max;
}
