/**
 * Maximize Neuron…: token sequences that drive the shown neuron as high as it goes, found by
 * gradient ascent on a softmax relaxation of the input from several random starts, decoded and
 * re-scored with the real model. Picking one opens it in a new editor, highlighted by the neuron.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { formatSigned, neuronShortName, visibleToken } from '../neuronLabels';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { chosenNeuron } from './chosenNeuron';

const STARTS = 8;
const STEPS = 200;

export async function maximizeNeuron(s: Services): Promise<void> {
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
    const order = result.sequences.map((_, i) => i).sort((a, b) => result.sequences[b]!.activation - result.sequences[a]!.activation);
    const items = order.map((i) => {
      const q = result.sequences[i]!;
      return {
        label: q.tokens.map(visibleToken).join(''),
        description: `${formatSigned(q.activation, 3)}${i === result.best ? ' · best' : ''}`,
        detail: `start ${q.start + 1} · decoded ${formatSigned(q.decodedActivation, 3)} before polishing · relaxed objective ${formatSigned(q.relaxedObjective, 3)}`,
        text: q.text,
      };
    });
    const picked = await vscode.window.showQuickPick(items, {
      title: `Neuron Lens: ${result.target}: ${STARTS} starts × ${STEPS} steps (${result.stepsPerSecond.toFixed(1)} steps/s)`,
      placeHolder: 'Pick a sequence to open it, highlighted by the neuron',
    });
    if (!picked) return;
    const document = await vscode.workspace.openTextDocument({ content: picked.text, language: 'plaintext' });
    await vscode.window.showTextDocument(document, { preview: false });
    s.highlighter.highlight(document);
  } catch (e) {
    reportError(s.log, e, `maximizing ${name}`);
  }
}
