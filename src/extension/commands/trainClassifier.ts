/**
 * Train Classifier…: a text classifier (word embedding → LSTM → softmax) on labelled data — the
 * built-in SpamAssassin ham/spam mails, a CSV/TSV/JSONL file with text and label columns, or a
 * folder with one sub-folder per class — saved in the models folder and loaded, so its neurons
 * can be highlighted and files classified.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { modelFolderName, modelsFolder } from '../modelLocation';
import type { Services } from '../services';
import { readSettings, workspaceRoot } from '../settings';
import { reportError } from '../userErrors';

export async function trainClassifier(s: Services): Promise<void> {
  const source = await vscode.window.showQuickPick(
    [
      { label: 'SpamAssassin', description: 'ham and spam mails (built in, about 6,000)', source: 'spam' as const },
      { label: 'A labelled file…', description: 'CSV, TSV or JSONL with text and label columns', source: 'file' as const },
      { label: 'A folder of class folders…', description: 'one sub-folder of text files per class', source: 'folder' as const },
    ],
    { title: 'Neuron Lens: Train Classifier: labelled data', ignoreFocusOut: true },
  );
  if (!source) return;
  let data = 'spam-assassin';
  if (source.source !== 'spam') {
    const uri = (
      await vscode.window.showOpenDialog({
        canSelectFiles: source.source === 'file',
        canSelectFolders: source.source === 'folder',
        canSelectMany: false,
        title: `Neuron Lens: choose the labelled ${source.source}`,
      })
    )?.[0];
    if (!uri) return;
    data = uri.fsPath;
  }
  const epochs = await vscode.window.showInputBox({
    title: 'Neuron Lens: Train Classifier: epochs',
    prompt: 'Passes over the training examples (SpamAssassin reaches about 98 % validation accuracy in 3)',
    value: '3',
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 100 ? undefined : 'A whole number from 1 to 100'),
  });
  if (epochs === undefined) return;
  const out = path.join(
    modelsFolder(readSettings().modelsFolder, workspaceRoot(), s.context.globalStorageUri.fsPath),
    modelFolderName('classifier', 'word', new Date()),
  );
  s.statusBar.setActivity('training');
  try {
    const model = await withCancellableProgress(`Neuron Lens: training a classifier on ${source.label}`, (signal, progress) =>
      s.engine.request('trainClassifier', { data, out, epochs: Number(epochs) }, { signal, onProgress: (p) => progress.report(p) }),
    );
    s.models.adopt(model);
    await s.models.remember(model.dir ?? out);
    const accuracy = model.validationAccuracy === undefined ? '' : `, ${(100 * model.validationAccuracy).toFixed(1)} % validation accuracy`;
    const choice = await vscode.window.showInformationMessage(
      `Neuron Lens: trained a classifier (${model.classes?.join(' / ')})${accuracy}. Saved and loaded.`,
      'Classify Active File',
    );
    if (choice) await vscode.commands.executeCommand('neuronLens.classifyText');
  } catch (e) {
    reportError(s.log, e, 'training a classifier');
  } finally {
    s.statusBar.setActivity(undefined);
  }
}
