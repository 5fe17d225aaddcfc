import * as vscode from 'vscode';
import type { Services } from '../services';

/**
 * Opens `text` as a new untitled document in the editor group of the last text editor (not the
 * results panel's, which is where focus is when its button is pressed) and highlights it by the
 * shown neuron: what a maximising or recovered sequence does is seen on the sequence itself.
 */
export async function openHighlighted(s: Services, text: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
  const viewColumn = s.recentEditor.editor?.viewColumn ?? vscode.ViewColumn.One;
  await vscode.window.showTextDocument(document, { preview: false, viewColumn });
  s.highlighter.highlight(document);
}
