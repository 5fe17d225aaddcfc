/**
 * Show Top Contexts for Neuron…: the places of a corpus (the default one, or the workspace's
 * files) where the shown neuron is most and least active, as a list with the token marked in its
 * context; picking one opens the file there with the token selected. The same places go to the
 * results panel as a card, each context coloured by the neuron, so they stay after the list closes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TopContext } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { formatSigned, neuronShortName, oneLine, visibleToken } from '../neuronLabels';
import type { ResultsController } from '../panels/resultsController';
import { contextsCard } from '../resultCards';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { workspaceTextFiles } from '../workspaceTextFiles';
import { chosenNeuron } from './chosenNeuron';

const TOP = 15;
const WINDOW = 40;

type ContextItem = vscode.QuickPickItem & { context?: TopContext };

export async function showTopContexts(s: Services, results: ResultsController): Promise<void> {
  const neuron = await chosenNeuron(s);
  if (!neuron) return;
  const source = await vscode.window.showQuickPick(
    [
      { label: 'Default corpus', description: 'Moby-Dick', source: 'default' as const },
      { label: 'This workspace', description: 'its text files', source: 'workspace' as const },
    ],
    { title: `Neuron Lens: top contexts of ${neuronShortName(neuron.layer, neuron.component, neuron.neuron)} in…` },
  );
  if (!source) return;
  let corpus: { kind: 'default' } | { kind: 'files'; paths: string[] } = { kind: 'default' };
  let root: string | undefined;
  if (source.source === 'workspace') {
    const files = await workspaceTextFiles();
    if (files.paths.length === 0) {
      void vscode.window.showInformationMessage('Neuron Lens: this workspace has no files on disk to read.');
      return;
    }
    corpus = { kind: 'files', paths: files.paths };
    root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }
  try {
    const result = await withCancellableProgress(
      `Neuron Lens: where ${neuronShortName(neuron.layer, neuron.component, neuron.neuron)} is most and least active`,
      (signal, progress) =>
        s.engine.request(
          'topContexts',
          { layer: neuron.layer, component: neuron.component, neuron: neuron.neuron, corpus, top: TOP, window: WINDOW },
          { signal, onProgress: (p) => progress.report(p) },
        ),
      { delayMs: 300 },
    );
    const place = (c: TopContext) =>
      `${root && path.isAbsolute(c.file) ? path.relative(root, c.file) : c.file} · token ${c.tokenIndex.toLocaleString('en')}`;
    const item = (c: TopContext): ContextItem => ({
      label: oneLine(c.snippet.slice(0, c.markStart)) + `⟦${visibleToken(c.token)}⟧` + oneLine(c.snippet.slice(c.markEnd)),
      description: formatSigned(c.value, 3),
      detail: place(c),
      context: c,
    });
    // Added before the list opens: the panel comes up beside without taking focus from it.
    const contexts = [...result.most, ...result.least];
    const name = neuronShortName(neuron.layer, neuron.component, neuron.neuron);
    const corpusName = source.source === 'default' ? 'Moby-Dick (default corpus)' : 'this workspace';
    results.add(contextsCard(result, { neuron: name, corpus: corpusName, top: TOP, window: WINDOW }, place), {
      kind: 'places',
      places: contexts.map((c) => ({ file: c.file, start: c.start, end: c.end })),
    });
    const items: ContextItem[] = [
      { label: 'Most active', kind: vscode.QuickPickItemKind.Separator },
      ...result.most.map(item),
      { label: 'Least active', kind: vscode.QuickPickItemKind.Separator },
      ...result.least.map(item),
    ];
    const skipped = result.skipped.length ? ` · ${result.skipped.length} files skipped (not text)` : '';
    const picked = await vscode.window.showQuickPick(items, {
      title: `Neuron Lens: ${neuronShortName(neuron.layer, neuron.component, neuron.neuron)} over ${result.tokens.toLocaleString('en')} tokens${skipped}`,
      placeHolder: 'Pick a place to open it',
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (picked?.context) await openContext(s, picked.context);
  } catch (e) {
    reportError(s.log, e, 'finding top contexts');
  }
}

/** Opens a context's file with its token selected (also a results card's Go to: see runCardAction). */
export async function openContext(s: Services, c: Pick<TopContext, 'file' | 'start' | 'end'>): Promise<void> {
  // The default corpus is the copy of Moby-Dick that ships beside the worker.
  const file = c.file === 'moby-dick' ? path.join(s.context.extensionPath, 'dist', 'moby-dick.txt') : c.file;
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const range = new vscode.Range(document.positionAt(c.start), document.positionAt(c.end));
  // In the text editors' group, also when the results panel (beside them) asked.
  const viewColumn = s.recentEditor.editor?.viewColumn ?? vscode.ViewColumn.One;
  await vscode.window.showTextDocument(document, { selection: range, preview: true, viewColumn });
}
