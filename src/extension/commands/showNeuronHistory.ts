/**
 * Show Neuron Across Training…: the neuron shown in the editor, on a passage of the active file
 * (the selection, or the text around the cursor: see historyWindow), at every snapshot training
 * kept in the active model's folder, with the experiment's features of interest followed over
 * training. Reading the snapshots takes a while, so it runs with a cancellable progress
 * notification; the result opens in the history panel beside the editor. The page keeps the
 * history across a window reload, and the passage is kept in workspace state so that its clicked
 * tokens are still selected in the editor then (reviveHistoryPanel).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HistoryData } from '../../shared/panelMessages';
import type { NeuronHistoryResult } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { historyNotKept, isSavedHistory, restoreHistory } from '../../shared/historyState';
import { type HistoryPassage, parseHistoryPassage, passageHasTokens, tokenInDocument } from '../historyPassage';
import { type TextWindow, historyWindow } from '../historyWindow';
import { neuronShortName } from '../neuronLabels';
import { panelExporter } from '../panels/exportFile';
import { HistoryPanel, type HistoryPanelHandlers } from '../panels/historyPanel';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { neuronOnActiveDocument } from './chosenNeuron';

/** workspaceState key of the passage of the history shown. */
const PASSAGE_KEY = 'neuronLens.historyPassage';

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
    const kept: HistoryPassage = {
      uri: document.uri.toString(),
      start: passage.start,
      text,
      starts: Array.from(result.starts),
      ends: Array.from(result.ends),
    };
    await s.context.workspaceState.update(PASSAGE_KEY, kept);
    HistoryPanel.createOrShow(s.context.extensionUri, handlers(s, kept)).showHistory(data);
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

/**
 * For the panel serializer: takes over a history panel restored after a window reload. `state` is
 * the page's (from setState); it is checked as the page checks it, and the passage kept in
 * workspace state serves clicks only if its tokens are the restored history's.
 */
export function reviveHistoryPanel(s: Services, webviewPanel: vscode.WebviewPanel, state: unknown): void {
  const restored = isSavedHistory(state) ? restoreHistory(state) : undefined;
  if (state !== undefined && !restored) s.log.warn('history panel: its saved state is malformed; it is ignored');
  const data = restored && 'data' in restored ? restored.data : undefined;
  const kept = parseHistoryPassage(s.context.workspaceState.get<unknown>(PASSAGE_KEY));
  const panel = HistoryPanel.revive(
    webviewPanel,
    s.context.extensionUri,
    handlers(s, data && kept && passageHasTokens(kept, data.tokens) ? kept : undefined),
  );
  if (data) panel.showHistory(data);
  else panel.showError(historyNotKept(restored));
}

function handlers(s: Services, passage: HistoryPassage | undefined): HistoryPanelHandlers {
  const exporter = panelExporter(s.log);
  return {
    onRevealToken: (index) => void revealToken(passage, index).catch((e: unknown) => reportError(s.log, e, 'showing the token')),
    onExport: (format, name, content) => exporter(format, name, content),
  };
}

const RUN_AGAIN = 'run Show Neuron Across Training again';

/**
 * Selects a clicked token in the editor, unless the passage's text is no longer where it was (an
 * edit moved or changed it: its offsets would be stale). The text is compared, not the document's
 * version, which starts again after a window reload.
 */
async function revealToken(passage: HistoryPassage | undefined, index: number): Promise<void> {
  const at = passage && tokenInDocument(passage, index);
  if (!passage || !at) {
    vscode.window.setStatusBarMessage(`Neuron Lens: this history's document is not known; ${RUN_AGAIN}`, 5000);
    return;
  }
  const uri = vscode.Uri.parse(passage.uri);
  let document: vscode.TextDocument;
  try {
    document =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === passage.uri && !d.isClosed) ??
      (await vscode.workspace.openTextDocument(uri));
  } catch {
    vscode.window.setStatusBarMessage(`Neuron Lens: ${uri.path.split('/').pop()} is no longer available; ${RUN_AGAIN}`, 5000);
    return;
  }
  const end = passage.start + passage.text.length;
  const now =
    end <= document.getText().length
      ? document.getText(new vscode.Range(document.positionAt(passage.start), document.positionAt(end)))
      : undefined;
  if (now !== passage.text) {
    vscode.window.setStatusBarMessage(`Neuron Lens: the document changed since the history was computed; ${RUN_AGAIN}`, 5000);
    return;
  }
  const range = new vscode.Range(document.positionAt(at[0]), document.positionAt(at[1]));
  const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preview: false });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
