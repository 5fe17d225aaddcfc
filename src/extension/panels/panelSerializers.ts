/**
 * Brings the panels back after a window reload: VS Code recreates each open panel (their pages
 * restore their own view state) and hands it to these serializers, which reconnect it to the
 * editor and send its data again. Registered in activate(), with `onWebviewPanel:<viewType>`
 * activation events so that a restored panel activates the extension.
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { panelExporter } from './exportFile';
import { FourierPanel } from './fourierPanel';
import { HeatmapPanel } from './heatmapPanel';
import { TrainingPanel } from './trainingPanel';

export function registerPanelSerializers(s: Services): vscode.Disposable[] {
  const revive = (what: string, work: () => Promise<void>) =>
    work().catch((e: unknown) => reportError(s.log, e, `restoring the ${what} panel`));
  return [
    vscode.window.registerWebviewPanelSerializer(HeatmapPanel.viewType, {
      deserializeWebviewPanel: (panel, state: unknown) => revive('heatmap', () => s.heatmap.revive(panel, state)),
    }),
    vscode.window.registerWebviewPanelSerializer(FourierPanel.viewType, {
      deserializeWebviewPanel: (panel, state: unknown) => revive('Fourier', () => s.fourier.revive(panel, state)),
    }),
    vscode.window.registerWebviewPanelSerializer(TrainingPanel.viewType, {
      deserializeWebviewPanel: (panel, state: unknown) => {
        TrainingPanel.revive(panel, state, s.context.extensionUri, s.trainingRuns, { onExport: panelExporter(s.log) });
        return Promise.resolve();
      },
    }),
  ];
}
