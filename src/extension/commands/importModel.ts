/**
 * Import Keras / TensorFlow.js Model…: a TensorFlow.js Layers model.json (and, optionally, its
 * tokenizer or vocabulary file) becomes a Neuron Lens model folder in the models folder, which is
 * then loaded and remembered like a trained one. The import itself runs in the engine worker.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { modelFolderName, modelsFolder } from '../modelLocation';
import type { Services } from '../services';
import { readSettings, workspaceRoot } from '../settings';
import { reportError } from '../userErrors';

type LevelChoice = vscode.QuickPickItem & { level?: 'char' | 'word' };

export async function importModel(s: Services): Promise<void> {
  const modelJson = (
    await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      openLabel: 'Import',
      title: 'Neuron Lens: choose the model.json of a TensorFlow.js Layers model (tensorflowjs_converter output)',
      filters: { 'TensorFlow.js Layers model': ['json'] },
    })
  )?.[0];
  if (!modelJson) return;

  const vocabChoice = await vscode.window.showQuickPick(
    [
      {
        label: 'Choose a vocabulary file…',
        detail: 'Keras Tokenizer JSON (tokenizer.to_json()), a {token: id} JSON, or one token per line',
      },
      { label: 'No vocabulary', detail: 'Tokens are named <unused-i>; text reads as unknown tokens' },
    ],
    { title: 'Neuron Lens: the tokens the model was trained on', ignoreFocusOut: true },
  );
  if (!vocabChoice) return;
  let vocab: string | undefined;
  if (vocabChoice.label.startsWith('Choose')) {
    vocab = (
      await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        openLabel: 'Use Vocabulary',
        title: 'Neuron Lens: choose the tokenizer or vocabulary file',
        defaultUri: vscode.Uri.file(path.dirname(modelJson.fsPath)),
      })
    )?.[0]?.fsPath;
    if (!vocab) return;
  }

  const levels: LevelChoice[] = [
    { label: 'Automatic', detail: "The Tokenizer's char_level, else characters when every token is one character" },
    { label: 'Characters', level: 'char' },
    { label: 'Words', level: 'word' },
  ];
  const level = await vscode.window.showQuickPick(levels, { title: 'Neuron Lens: tokens', ignoreFocusOut: true });
  if (!level) return;

  const classChoice = await vscode.window.showQuickPick(
    [
      { label: 'No class names', detail: 'A language model, or a classifier whose classes are called class 0, class 1, …' },
      { label: 'Choose a class-names file…', detail: 'A classifier: a JSON list or one name per line, in output order' },
    ],
    { title: 'Neuron Lens: class names (classifiers only)', ignoreFocusOut: true },
  );
  if (!classChoice) return;
  let classes: string | undefined;
  if (classChoice.label.startsWith('Choose')) {
    classes = (
      await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        openLabel: 'Use Class Names',
        title: 'Neuron Lens: choose the class-names file',
        defaultUri: vscode.Uri.file(path.dirname(modelJson.fsPath)),
      })
    )?.[0]?.fsPath;
    if (!classes) return;
  }

  const source = path.basename(path.dirname(modelJson.fsPath)) || 'keras';
  const safe = source.replace(/[^\w.-]+/g, '_').slice(0, 40);
  const out = path.join(
    modelsFolder(readSettings().modelsFolder, workspaceRoot(), s.context.globalStorageUri.fsPath),
    modelFolderName('imported', safe, new Date()),
  );
  try {
    const result = await withCancellableProgress(
      `Neuron Lens: importing ${modelJson.fsPath}`,
      (signal) =>
        s.engine.request('importLayersModel', { modelJson: modelJson.fsPath, vocab, level: level.level, classes, out }, { signal }),
      { delayMs: 300 },
    );
    s.log.info(`imported ${modelJson.fsPath} into ${result.dir}: ${result.description}`);
    for (const line of result.mapping) s.log.info(`  ${line}`);
    for (const note of result.notes) s.log.warn(`  note: ${note}`);
    const model = await s.models.load(result.dir);
    await s.models.remember(model.dir ?? result.dir);
    const notes = result.notes.length > 0 ? ` ${result.notes.length} note${result.notes.length > 1 ? 's' : ''} in the log.` : '';
    const choice = await vscode.window.showInformationMessage(
      `Neuron Lens: imported ${result.description} into ${result.dir} and loaded it.${notes}`,
      ...(result.notes.length > 0 ? ['Show Log'] : []),
    );
    if (choice) s.log.show(true);
  } catch (e) {
    reportError(s.log, e, `importing ${modelJson.fsPath}`);
  }
}
