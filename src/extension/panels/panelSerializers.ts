/**
 * Brings the panels back after a window reload: VS Code recreates each open panel (their pages
 * restore their own view state) and hands it to these serializers, which reconnect it to the
 * editor and send its data again: recomputed (heatmap, spectra, comparison), from what the
 * extension keeps (training run, results cards) or from the page's saved state (neuron history,
 * which cannot be recomputed). Registered in activate(), with `onWebviewPanel:<viewType>`
 * activation events so that a restored panel activates the extension.
 */
import * as vscode from 'vscode';
import { reviveHistoryPanel } from '../commands/showNeuronHistory';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import type { ComparisonController } from './comparisonController';
import { ComparisonPanel } from './comparisonPanel';
import { panelExporter } from './exportFile';
import { FourierPanel } from './fourierPanel';
import { HeatmapPanel } from './heatmapPanel';
import { HistoryPanel } from './historyPanel';
import type { ResultsController } from './resultsController';
import { ResultsPanel } from './resultsPanel';
import { TrainingPanel } from './trainingPanel';

/** The controllers of panels that are not among the Services. */
export interface RestoredPanelOwners {
  comparison: ComparisonController;
  results: ResultsController;
}

export function registerPanelSerializers(s: Services, owners: RestoredPanelOwners): vscode.Disposable[] {
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
    vscode.window.registerWebviewPanelSerializer(ComparisonPanel.viewType, {
      deserializeWebviewPanel: (panel) => revive('comparison', () => owners.comparison.revive(panel)),
    }),
    vscode.window.registerWebviewPanelSerializer(HistoryPanel.viewType, {
      // The history is in the page's state (it cannot be recomputed); it is checked before use.
      deserializeWebviewPanel: (panel, state: unknown) => revive('neuron history', async () => reviveHistoryPanel(s, panel, state)),
    }),
    vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
      deserializeWebviewPanel: (panel) => revive('results', async () => owners.results.revive(panel)),
    }),
  ];
}
