/**
 * Compare Two Neurons…: the neuron shown in the editor against a second one picked with the usual
 * pickers (a component, when the model has several, then a neuron described by its statistics on
 * this document), in the comparison panel beside the editor.
 */
import * as vscode from 'vscode';
import { componentTitle } from '../neuronLabels';
import { pickComponent, pickNeuron } from '../neuronPicker';
import type { ComparisonController } from '../panels/comparisonController';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { chosenNeuron } from './chosenNeuron';

const TOP_TOKENS = 3;

export async function compareNeurons(s: Services, comparison: ComparisonController): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first, then compare two of its neurons.');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  try {
    const model = await s.models.ensureModel(true);
    if (!model) return;
    const first = await chosenNeuron(s);
    if (!first) return;
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
