/**
 * Save Model As…: writes the active model into a folder. Choosing an empty folder or a model
 * folder saves there (a model folder is overwritten after a confirmation); choosing any other
 * folder saves into a new subfolder named after the model, so nothing else is touched.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { modelsFolder } from '../modelLocation';
import { modelName } from '../neuronLabels';
import type { Services } from '../services';
import { readSettings, workspaceRoot } from '../settings';
import { reportError } from '../userErrors';
import { existingFolder } from './loadModel';

export async function saveModelAs(s: Services): Promise<void> {
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const picked = (
    await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Save Here',
      title: `Neuron Lens: choose where to save ${modelName(model)} (an empty folder, a model folder, or a parent folder)`,
      defaultUri: await existingFolder(modelsFolder(readSettings().modelsFolder, workspaceRoot(), s.context.globalStorageUri.fsPath)),
    })
  )?.[0];
  if (!picked) return;
  const target = await targetFolder(picked, modelName(model));
  if (!target) return;
  try {
    const saved = await withCancellableProgress(
      `Neuron Lens: saving to ${target.fsPath}`,
      (signal) => s.engine.request('saveModel', { dir: target.fsPath }, { signal }),
      { delayMs: 300 },
    );
    // The same weights under a new folder: highlights stay valid, the folder is what is remembered.
    s.models.rename(saved.dir ?? target.fsPath);
    await s.models.remember(saved.dir ?? target.fsPath);
    void vscode.window.showInformationMessage(`Neuron Lens: model saved in ${target.fsPath}.`);
  } catch (e) {
    reportError(s.log, e, `saving the model to ${target.fsPath}`);
  }
}

async function targetFolder(picked: vscode.Uri, name: string): Promise<vscode.Uri | undefined> {
  const entries = await vscode.workspace.fs.readDirectory(picked);
  const isModel = entries.some(([n]) => n === 'model.json');
  if (entries.length === 0) return picked;
  const target = isModel ? picked : vscode.Uri.file(path.join(picked.fsPath, name));
  if (!isModel && !(await hasModel(target))) return target;
  const overwrite = await vscode.window.showWarningMessage(
    `${target.fsPath} already holds a model. Replace it?`,
    { modal: true, detail: 'Its model.json and weight files are overwritten.' },
    'Replace',
  );
  return overwrite === 'Replace' ? target : undefined;
}

async function hasModel(folder: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder, 'model.json'));
    return true;
  } catch {
    return false;
  }
}
