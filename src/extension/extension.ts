import * as path from 'node:path';
import * as vscode from 'vscode';
import { summaryLines } from '../shared/modelSummary';
import { EngineClient, EngineError } from './engineClient';

/**
 * Activation only wires things up: the engine worker (and with it tfjs) starts on the first
 * command that needs it.
 */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Neuron Lens', { log: true });
  const engine = new EngineClient(
    path.join(context.extensionPath, 'dist', 'worker.js'),
    () => vscode.workspace.getConfiguration('neuronLens').get<string>('backend', 'auto'),
    (line) => output.info(line),
  );
  context.subscriptions.push(output, { dispose: () => engine.dispose() });

  context.subscriptions.push(
    vscode.commands.registerCommand('neuronLens.showModelInfo', async (uri?: vscode.Uri) => {
      const folder =
        uri ??
        (
          await vscode.window.showOpenDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            openLabel: 'Show Model Info',
            title: 'Neuron Lens: choose a model folder (with model.json)',
          })
        )?.[0];
      if (!folder) return;
      try {
        const summary = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Neuron Lens: reading model', cancellable: true },
          (_progress, token) => {
            const controller = new AbortController();
            token.onCancellationRequested(() => controller.abort());
            return engine.request('modelInfo', { dir: folder.fsPath }, { signal: controller.signal });
          },
        );
        const lines = summaryLines(summary);
        for (const line of lines) output.info(line);
        void vscode.window.showInformationMessage(lines.slice(0, 2).join(' — '), 'Show Details').then((choice) => {
          if (choice) output.show(true);
        });
      } catch (e) {
        const message = e instanceof EngineError || e instanceof Error ? e.message : String(e);
        output.error(message);
        void vscode.window.showErrorMessage(`Neuron Lens: ${message}`);
      }
    }),
  );
}

export function deactivate(): void {
  // Disposables registered in activate() stop the worker.
}
