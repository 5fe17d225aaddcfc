/**
 * Show Model Info…: checks a model folder in the engine and shows its architecture and training
 * summary. From the palette with a model loaded it offers that model first.
 */
import * as vscode from 'vscode';
import { summaryLines } from '../../shared/modelSummary';
import { withCancellableProgress } from '../cancellableProgress';
import { modelName } from '../neuronLabels';
import type { Services } from '../services';
import { reportError } from '../userErrors';

export async function showModelInfo(s: Services, uri?: vscode.Uri): Promise<void> {
  const active = s.models.model;
  let dir = uri?.fsPath;
  if (!dir && active?.dir) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: `$(pulse) ${modelName(active)}`, description: 'the active model', dir: active.dir },
        { label: '$(folder-opened) Another model folder…', description: 'choose a folder with model.json', dir: undefined },
      ],
      { title: 'Neuron Lens: Show Model Info' },
    );
    if (!choice) return;
    dir = choice.dir;
  }
  if (!dir) {
    dir = (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Show Model Info',
        title: 'Neuron Lens: choose a model folder (with model.json)',
      })
    )?.[0]?.fsPath;
  }
  if (!dir) return;
  const folder = dir;
  try {
    const summary = await withCancellableProgress('Neuron Lens: reading model', (signal) =>
      s.engine.request('modelInfo', { dir: folder }, { signal }),
    );
    const lines = summaryLines(summary);
    for (const line of lines) s.log.info(line);
    void vscode.window.showInformationMessage(lines.slice(0, 2).join(' — '), 'Show Details').then((choice) => {
      if (choice) s.log.show(true);
    });
  } catch (e) {
    reportError(s.log, e, `reading ${folder}`);
  }
}
