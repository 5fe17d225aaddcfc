/**
 * Show Training Curves: the training panel with the current (or last) run of this window. Training
 * opens it by itself unless `neuronLens.openTrainingPanel` is off.
 */
import * as vscode from 'vscode';
import { panelExporter } from '../panels/exportFile';
import { TrainingPanel } from '../panels/trainingPanel';
import type { Services } from '../services';

export function showTrainingCurves(s: Services): void {
  if (!s.trainingRuns.current) {
    void vscode.window
      .showInformationMessage(
        'Neuron Lens: no model has been trained in this window yet; the curves appear while one trains.',
        'Train Model…',
      )
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('neuronLens.trainModel');
      });
    return;
  }
  openTrainingPanel(s);
}

/** Opens (or reveals) the training panel beside the editor, keeping the focus where it is. */
export function openTrainingPanel(s: Pick<Services, 'context' | 'log' | 'trainingRuns'>): TrainingPanel {
  return TrainingPanel.createOrShow(s.context.extensionUri, s.trainingRuns, { onExport: panelExporter(s.log) });
}
