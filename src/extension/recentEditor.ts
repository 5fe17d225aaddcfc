/**
 * The text editor a command means: the active one, or while focus is in a panel (the heatmap, the
 * Fourier panel, a terminal) the text editor that was active last, if it is still on screen.
 * Clicking into the heatmap and then running "Show Neuron Spectra" is about the file beside it.
 */
import * as vscode from 'vscode';

/** Editors that show output rather than the user's text. */
const NOT_USER_TEXT = new Set(['output', 'debug', 'vscode-terminal']);

export class RecentEditor implements vscode.Disposable {
  private last: vscode.TextDocument | undefined;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.remember(vscode.window.activeTextEditor);
    this.subscription = vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor));
  }

  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active && !NOT_USER_TEXT.has(active.document.uri.scheme)) return active;
    const last = this.last;
    return last && !last.isClosed ? vscode.window.visibleTextEditors.find((e) => e.document === last) : undefined;
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    if (editor && !NOT_USER_TEXT.has(editor.document.uri.scheme)) this.last = editor.document;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
