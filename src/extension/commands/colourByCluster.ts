/**
 * Colour by Neuron Cluster…: groups the shown component's neurons by how they behave over the
 * active file (k-means on their correlation, or NMF), lists the groups with the tokens that
 * drive them, and colours the file by the chosen group's factor instead of a single neuron.
 */
import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { componentTitle, visibleToken } from '../neuronLabels';
import type { Services } from '../services';
import { chosenComponent } from './chosenNeuron';
import { reportError } from '../userErrors';

export async function colourByCluster(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first: neurons are grouped by their activity over it.');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const choice = await chosenComponent(s, model);
  if (!choice) return;
  const method = await vscode.window.showQuickPick(
    [
      { label: 'k-means', description: 'neurons whose activity is correlated', method: 'kmeans' as const },
      { label: 'NMF', description: 'parts that add up to the activity (slower)', method: 'nmf' as const },
    ],
    { title: `Neuron Lens: group the ${choice.units} neurons of ${componentTitle(choice, model.layers.length)} by` },
  );
  if (!method) return;
  const kText = await vscode.window.showInputBox({
    title: 'Neuron Lens: how many groups?',
    value: String(Math.min(8, choice.units)),
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= choice.units ? undefined : `1 to ${choice.units}`),
  });
  if (kText === undefined) return;
  const features = (await s.experiment.read()).features;
  const release = s.highlighter.hold(document);
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: grouping neurons',
      async (signal) => {
        await s.highlighter.analyze(document, choice, { complete: true, signal });
        return s.engine.request(
          'clusterNeurons',
          { docId: document.uri.toString(), k: Number(kText), method: method.method, seed: 1, features },
          { signal },
        );
      },
      { delayMs: 300 },
    );
    const items = result.clusters.map((c, i) => ({
      label: `Group ${i + 1}: ${c.label}`,
      description: `${c.neurons.length} neurons`,
      detail: `tokens ${c.topTokens.map((t) => visibleToken(t.text)).join(' ')} · neurons ${c.neurons.slice(0, 12).join(', ')}${c.neurons.length > 12 ? ', …' : ''}`,
      index: i,
    }));
    const picked = await vscode.window.showQuickPick(items, { title: `Neuron Lens: colour ${document.uri.path.split('/').pop()} by…` });
    if (!picked) return;
    const cluster = result.clusters[picked.index]!;
    s.overlay.show(editor, {
      title: `${method.label} group ${picked.index + 1} (${cluster.neurons.length} neurons)`,
      starts: result.starts,
      ends: result.ends,
      scores: cluster.factor,
      detail: `Neurons ${cluster.neurons.join(', ')}. Cleared at the next edit.`,
    });
  } catch (e) {
    reportError(s.log, e, 'grouping neurons');
  } finally {
    release();
  }
}
