/**
 * Compare Two Neurons…: the neuron shown in the editor against a second one picked with the usual
 * pickers (a component, when the model has several, then a neuron described by its statistics on
 * this document), in the comparison panel beside the editor. Compare Neuron Across Two Models…:
 * the shown neuron against the same neuron of another model folder (e.g. before and after more
 * training, or two seeds), in the same panel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelsFolder } from '../modelLocation';
import { readSettings, workspaceRoot } from '../settings';
import { existingFolder } from './loadModel';
import { componentTitle } from '../neuronLabels';
import { pickComponent, pickNeuron } from '../neuronPicker';
import type { ComparisonController } from '../panels/comparisonController';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { neuronOnActiveDocument } from './chosenNeuron';

const TOP_TOKENS = 3;

export async function compareNeurons(s: Services, comparison: ComparisonController): Promise<void> {
  try {
    const chosen = await neuronOnActiveDocument(s, 'compare two of its neurons');
    if (!chosen) return;
    const { document, model, neuron: first } = chosen;
    const choice = await pickComponent(model, first);
    if (!choice) return;

    const release = s.highlighter.hold(document);
    const controller = new AbortController();
    let neuron: number | undefined;
    try {
      const stats = (async () => {
        await s.highlighter.analyze(document, choice, { complete: false, signal: controller.signal });
        const described = await s.engine.request(
          'describeNeurons',
          { docId: document.uri.toString(), topTokens: TOP_TOKENS },
          { signal: controller.signal },
        );
        return described.neurons;
      })();
      neuron = await pickNeuron({
        title: `Neuron Lens: compare ${first.componentLabel} neuron ${first.neuron} with a neuron of ${componentTitle(choice, model.layers.length)}`,
        units: choice.units,
        stats,
        onError: (e) => reportError(s.log, e, `describing the neurons of ${document.uri.path}`),
      });
      // The statistics are no longer wanted once a neuron is picked (or the pick dismissed).
      controller.abort();
      stats.catch(() => undefined);
    } finally {
      release();
    }
    if (neuron === undefined) return;
    await comparison.show(document, first, { layer: choice.layer, component: choice.component, neuron });
  } catch (e) {
    reportError(s.log, e, 'comparing two neurons');
  }
}

export async function compareAcrossModels(s: Services, comparison: ComparisonController, folder?: vscode.Uri): Promise<void> {
  try {
    const chosen = await neuronOnActiveDocument(s, 'compare a neuron across two models');
    if (!chosen) return;
    const { document, neuron } = chosen;
    const other =
      folder ??
      (
        await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: 'Compare',
          title: `Neuron Lens: the model folder to compare ${neuron.componentLabel} neuron ${neuron.neuron} with`,
          defaultUri: await existingFolder(modelsFolder(readSettings().modelsFolder, workspaceRoot(), s.context.globalStorageUri.fsPath)),
        })
      )?.[0];
    if (!other) return;
    if (!fs.existsSync(path.join(other.fsPath, 'model.json'))) {
      void vscode.window.showErrorMessage(
        `Neuron Lens: ${other.fsPath} is not a model folder (it has no model.json). Pick a folder a model was trained, saved or imported into.`,
      );
      return;
    }
    const ref = { layer: neuron.layer, component: neuron.component, neuron: neuron.neuron };
    await comparison.show(document, ref, ref, { dir: other.fsPath, name: path.basename(other.fsPath) });
  } catch (e) {
    reportError(s.log, e, 'comparing a neuron across two models');
  }
}
