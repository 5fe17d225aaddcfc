/**
 * Read-only Markdown reports (intervention effects and the like) shown in the Markdown preview.
 * They live under their own URI scheme, so they never ask to be saved when closed and cannot be
 * edited into something the engine did not say.
 */
import * as vscode from 'vscode';

export const REPORT_SCHEME = 'neuron-lens-report';

export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private next = 1;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '# This report is no longer available\n\nRun the command again.';
  }

  /** Opens `markdown` as a new report titled `title` in the Markdown preview beside the editor. */
  async show(title: string, markdown: string): Promise<vscode.Uri> {
    const slug =
      title
        .replace(/[^\w .-]+/g, ' ')
        .trim()
        .slice(0, 80) || 'report';
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${slug}.md`, query: String(this.next++) });
    this.contents.set(uri.toString(), markdown);
    this.changed.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
    return uri;
  }

  dispose(): void {
    this.changed.dispose();
    this.contents.clear();
  }
}
