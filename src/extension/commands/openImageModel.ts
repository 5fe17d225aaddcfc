/**
 * Open Image Model…: pick an image model folder (made by `neuron-lens image-train`) and open the
 * image panel on it. The folder is checked by the engine before the panel opens, so a wrong
 * folder gets the engine's message naming the problem and no empty panel.
 */
import * as vscode from 'vscode';
import { panelExporter } from '../panels/exportFile';
import { VisionPanel } from '../panels/visionPanel';
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function openImageModel(s: Pick<Services, 'context' | 'log' | 'engine'>, uri?: vscode.Uri): Promise<void> {
  const folder =
    uri ??
    (
      await vscode.window.showOpenDialog({
        title: 'Neuron Lens: image model folder (from neuron-lens image-train)',
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
      })
    )?.[0];
  if (!folder) return;
  try {
    await VisionPanel.open(s.context.extensionUri, folder.fsPath, { engine: s.engine, log: s.log, onExport: panelExporter(s.log) });
  } catch (e) {
    reportError(s.log, e, `Opening the image model ${folder.fsPath}`);
  }
}
