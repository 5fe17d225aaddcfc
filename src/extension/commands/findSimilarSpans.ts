/**
 * Find Spans Like the Selection (LSTMVis's "match"): the on/off pattern of some neurons over the
 * selected text, looked for in this file and the workspace's other files; picking a match opens
 * it with the span selected.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PatternSearchResult } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { componentTitle, neuronLabel, oneLine } from '../neuronLabels';
import type { Services } from '../services';
import { chosenComponent } from './chosenNeuron';
import { reportError } from '../userErrors';
import { workspaceTextFiles } from '../workspaceTextFiles';

/** A neuron is "on" above this value (LSTMVis's default for tanh states). */
const THRESHOLD = 0.3;
const PROPOSED = 5;
const TOP = 20;

type MatchItem = vscode.QuickPickItem & { match?: PatternSearchResult['matches'][number] };

export async function findSimilarSpans(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Neuron Lens: select a span of text first (a phrase, a line, a bracketed group).');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const shown = s.selection.current;
  const choice = await chosenComponent(s, model);
  if (!choice) return;
  const what = componentTitle(choice, model.layers.length);
  const which = shown
    ? await vscode.window.showQuickPick(
        [
          {
            label: `The ${PROPOSED} neurons most specific to the selection`,
            description: 'on inside it, off around it',
            neurons: undefined,
          },
          { label: `${neuronLabel(shown.neuron)} only`, description: 'the shown neuron', neurons: [shown.neuron] },
        ],
        { title: `Neuron Lens: match the pattern of which neurons of ${what}?` },
      )
    : { neurons: undefined };
  if (!which) return;
  const start = document.offsetAt(editor.selection.start);
  const end = document.offsetAt(editor.selection.end);
  const release = s.highlighter.hold(document);
  try {
    const files = await workspaceTextFiles(document.uri);
    const result = await withCancellableProgress(
      `Neuron Lens: searching for spans like the selection`,
      async (signal, progress) => {
        await s.highlighter.analyze(document, choice, { complete: true, signal });
        return s.engine.request(
          'searchPattern',
          {
            docId: document.uri.toString(),
            start,
            end,
            neurons: which.neurons,
            propose: PROPOSED,
            threshold: THRESHOLD,
            top: TOP,
            paths: files.paths,
          },
          { signal, onProgress: (p) => progress.report(p) },
        );
      },
      { delayMs: 300 },
    );
    if (result.matches.length === 0) {
      void vscode.window.showInformationMessage('Neuron Lens: no span matches the selection’s pattern.');
      return;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const items: MatchItem[] = result.matches.map((m) => ({
      label: `${oneLine(m.preview.before)}⟦${oneLine(m.preview.match)}⟧${oneLine(m.preview.after)}`,
      description: `similarity ${m.score.toFixed(2)}`,
      detail: m.path ? (root ? path.relative(root, m.path) : m.path) : 'this file',
      match: m,
    }));
    const neurons = result.neurons.map(neuronLabel).join(', ');
    const picked = await vscode.window.showQuickPick(items, {
      title: `Neuron Lens: ${result.matches.length} spans like the selection · ${neurons} on above ${result.threshold} · ${result.windows.toLocaleString('en')} compared`,
      placeHolder: 'Pick a span to open it',
      matchOnDetail: true,
    });
    if (!picked?.match) return;
    const target = picked.match.path ? await vscode.workspace.openTextDocument(vscode.Uri.file(picked.match.path)) : document;
    const range = new vscode.Range(target.positionAt(picked.match.start), target.positionAt(picked.match.end));
    await vscode.window.showTextDocument(target, { selection: range, preview: true });
  } catch (e) {
    reportError(s.log, e, 'searching for similar spans');
  } finally {
    release();
  }
}
