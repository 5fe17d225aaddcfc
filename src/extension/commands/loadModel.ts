/** Load Model…: a model folder (from a dialog or the Explorer) becomes the active model and the workspace's model. */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { modelsFolder } from '../modelLocation';
import { modelName } from '../neuronLabels';
import type { Services } from '../services';
import { readSettings, workspaceRoot } from '../settings';
import { reportError } from '../userErrors';

export async function loadModel(s: Services, uri?: vscode.Uri): Promise<void> {
  const folder =
    uri ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Load Model',
        title: 'Neuron Lens: choose a model folder (with model.json)',
        defaultUri: await existingFolder(modelsFolder(readSettings().modelsFolder, workspaceRoot(), s.context.globalStorageUri.fsPath)),
      })
    )?.[0];
  if (!folder) return;
  try {
    const model = await withCancellableProgress(`Neuron Lens: loading ${folder.fsPath}`, (signal) => s.models.load(folder.fsPath, signal), {
      delayMs: 300,
    });
    await s.models.remember(model.dir ?? folder.fsPath);
    void vscode.window.showInformationMessage(`Neuron Lens: loaded ${modelName(model)}: ${model.description}.`);
  } catch (e) {
    reportError(s.log, e, `loading ${folder.fsPath}`);
  }
}

/** The folder as a dialog's starting point, if it exists (dialogs fail on missing folders in some hosts). */
export async function existingFolder(fsPath: string): Promise<vscode.Uri | undefined> {
  const uri = vscode.Uri.file(fsPath);
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    return stat.type & vscode.FileType.Directory ? uri : undefined;
  } catch {
    return undefined;
  }
}
