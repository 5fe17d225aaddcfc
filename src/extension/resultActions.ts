/**
 * What a results card's button does, from the card and its CardActions alone (never from state a
 * command held), so a card restored after a window reload works as when it was added.
 */
import * as vscode from 'vscode';
import type { ResultAction, ResultCard } from '../shared/panelMessages';
import { openHighlighted } from './commands/openHighlighted';
import { openContext } from './commands/showTopContexts';
import { type CardActions, canRun } from './resultCards';
import type { Services } from './services';

/** Runs button `action` of row `row` (of the card when undefined); the caller has checked that the card has that button. */
export async function runCardAction(
  s: Services,
  card: ResultCard,
  actions: CardActions,
  action: ResultAction,
  row: number | undefined,
): Promise<void> {
  if (!canRun(actions, action, row)) return;
  switch (actions.kind) {
    case 'rowText':
      await openHighlighted(s, card.rows[row!]!.tokens.join(''));
      return;
    case 'places':
      await openContext(s, actions.places[row!]!);
      return;
    case 'window':
      await revealWindow(card.source, actions);
      return;
    case 'edit':
      if (action === 'open' && actions.text !== undefined) {
        const edited = await vscode.workspace.openTextDocument({ content: actions.text, language: actions.language });
        const viewColumn = s.recentEditor.editor?.viewColumn ?? vscode.ViewColumn.One;
        await vscode.window.showTextDocument(edited, { preview: false, viewColumn });
      } else if (action === 'openReport' && actions.report) {
        await s.reports.show(actions.report.title, actions.report.markdown);
      }
  }
}

/**
 * Selects a saliency window in its document, while the document holds the same text there: an
 * edit since (or a changed file after a reload) would make the offsets point elsewhere.
 */
async function revealWindow(name: string, w: Extract<CardActions, { kind: 'window' }>): Promise<void> {
  const again = `run Show Saliency at Cursor again`;
  let document: vscode.TextDocument;
  try {
    document =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === w.uri && !d.isClosed) ??
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(w.uri)));
  } catch {
    void vscode.window.showInformationMessage(`Neuron Lens: ${name} is no longer available; ${again}.`);
    return;
  }
  const end = w.start + w.text.length;
  const range = new vscode.Range(document.positionAt(w.start), document.positionAt(end));
  if (end > document.getText().length || document.getText(range) !== w.text) {
    void vscode.window.showInformationMessage(`Neuron Lens: ${name} changed since this saliency was computed; ${again}.`);
    return;
  }
  const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
  const shown = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preview: false });
  shown.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
