/**
 * Show Neuron Across Training…: the neuron shown in the editor, on a passage of the active file
 * (the selection, or the text around the cursor: see historyWindow), at every snapshot training
 * kept in the active model's folder, with the experiment's features of interest followed over
 * training. Reading the snapshots takes a while, so it runs with a cancellable progress
 * notification; the result opens in the history panel beside the editor.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HistoryData } from '../../shared/panelMessages';
import type { NeuronHistoryResult } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { type TextWindow, historyWindow } from '../historyWindow';
import { neuronShortName } from '../neuronLabels';
import { panelExporter } from '../panels/exportFile';
import { HistoryPanel } from '../panels/historyPanel';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { neuronOnActiveDocument } from './chosenNeuron';

export async function showNeuronHistory(s: Services): Promise<void> {
  try {
    const chosen = await neuronOnActiveDocument(s, 'follow a neuron across training on it', (model) => {
      if (!model.bundled) return true;
      void vscode.window.showInformationMessage(
        'Neuron Lens: the bundled default model has no training snapshots. Train a model (Neuron Lens: Train Model…) to follow its neurons across training.',
      );
      return false;
    });
    if (!chosen) return;
    const { editor, document, neuron } = chosen;
    const { features } = await s.experiment.read();

    const version = document.version;
    const selection = editor.selection;
    const passage = historyWindow(
      document.getText().length,
      { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) },
      document.offsetAt(selection.active),
    );
    const text = document.getText(new vscode.Range(document.positionAt(passage.start), document.positionAt(passage.end)));
    if (text.length === 0) {
      void vscode.window.showInformationMessage(
        `Neuron Lens: ${documentName(document)} is empty: there is no text to follow the neuron on.`,
      );
      return;
    }
    const label = neuronShortName(neuron.layer, neuron.component, neuron.neuron);
    const result = await withCancellableProgress(
      `Neuron Lens: ${label} across training`,
      (signal, progress) =>
        s.engine.request(
          'neuronHistory',
          { text, layer: neuron.layer, component: neuron.component, neuron: neuron.neuron, features },
          { signal, onProgress: (p) => progress.report(p) },
        ),
      { delayMs: 300 },
    );
    const data = historyData(result, text, label, `${documentName(document)}, ${windowName(passage)}`);
    const exporter = panelExporter(s.log);
    HistoryPanel.createOrShow(s.context.extensionUri, {
      onRevealToken: (index) =>
        void revealToken(document, version, passage.start, result, index).catch((e: unknown) => reportError(s.log, e, 'showing the token')),
      onExport: (format, name, content) => exporter(format, name, content),
    }).showHistory(data);
  } catch (e) {
    reportError(s.log, e, 'following a neuron across training');
  }
}

function windowName(w: TextWindow): string {
  const span = `characters ${(w.start + 1).toLocaleString('en')}–${w.end.toLocaleString('en')}`;
  return w.fromSelection ? `selection, ${span}` : span;
}

function historyData(r: NeuronHistoryResult, text: string, label: string, title: string): HistoryData {
  return {
    title,
    label,
    model: path.basename(r.dir),
    range: r.range,
    robustScale: r.robustScale,
    tokens: Array.from(r.starts, (start, t) => text.slice(start, r.ends[t])),
    rows: r.rows,
    values: r.traces,
    features: r.features,
    threshold: r.threshold,
  };
}

/** Selects a clicked token in the editor, unless the document changed since (its offsets would be stale). */
async function revealToken(document: vscode.TextDocument, version: number, base: number, r: NeuronHistoryResult, index: number) {
  if (document.isClosed || document.version !== version || index >= r.starts.length) {
    vscode.window.setStatusBarMessage('Neuron Lens: the document changed since the history was computed; run the command again', 5000);
    return;
  }
  const range = new vscode.Range(document.positionAt(base + r.starts[index]!), document.positionAt(base + r.ends[index]!));
  const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preview: false });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
