/**
 * Maximize Neuron…: token sequences that drive the shown neuron as high as it goes, found by
 * gradient ascent on a softmax relaxation of the input from several random starts, decoded and
 * re-scored with the real model. They appear as a card of the results panel, one row per start;
 * a row's button opens that sequence in a new editor, highlighted by the neuron.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { neuronShortName } from '../neuronLabels';
import type { ResultsController } from '../panels/resultsController';
import { maximizationCard } from '../resultCards';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { chosenNeuron } from './chosenNeuron';

const STARTS = 8;
const STEPS = 200;

export async function maximizeNeuron(s: Services, results: ResultsController): Promise<void> {
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const neuron = await chosenNeuron(s);
  if (!neuron) return;
  const name = neuronShortName(neuron.layer, neuron.component, neuron.neuron);
  const position = await vscode.window.showQuickPick(
    [
      { label: 'At the last token', description: 'what the sequence leaves the neuron at', position: 'last' as const },
      { label: 'Summed over every token', description: 'what keeps it high all along', position: 'every' as const },
    ],
    { title: `Neuron Lens: maximize ${name}` },
  );
  if (!position) return;
  const unit = model.level === 'char' ? 'characters' : 'tokens';
  const lengthText = await vscode.window.showInputBox({
    title: `Neuron Lens: maximize ${name}: length`,
    prompt: `How many ${unit} each sequence has`,
    value: model.level === 'char' ? '20' : '8',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 200 ? undefined : 'A whole number from 1 to 200'),
  });
  if (lengthText === undefined) return;
  try {
    const result = await withCancellableProgress(
      `Neuron Lens: maximizing ${name}`,
      (signal, progress) =>
        s.engine.request(
          'maximize',
          { ...neuron, position: position.position, length: Number(lengthText), starts: STARTS, steps: STEPS, seed: 1 },
          { signal, onProgress: (p) => progress.report(p) },
        ),
      { delayMs: 300 },
    );
    const card = maximizationCard(result, { position: position.position, length: Number(lengthText), starts: STARTS, steps: STEPS });
    results.add(card, { kind: 'rowText' });
  } catch (e) {
    reportError(s.log, e, `maximizing ${name}`);
  }
}
