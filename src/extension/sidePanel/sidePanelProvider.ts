import * as vscode from 'vscode';
import { type FromSidePanel, type ToSidePanel, parseFromSidePanel } from '../../shared/sidePanelMessages';
import { webviewHtml, webviewOptions } from '../panels/webviewHtml';

/** What the view asks of its owner; messages have passed parseFromSidePanel. */
export interface SidePanelHandlers {
  onSelectNeuron(ref: Extract<FromSidePanel, { type: 'selectNeuron' }>): void;
  onRunCommand(command: Extract<FromSidePanel, { type: 'runCommand' }>['command']): void;
  /** The view became visible (or was first shown): time to bring what it shows up to date. */
  onDidBecomeVisible(): void;
}

/**
 * The Neuron Lens side panel: a webview view in the Neuron Lens activity-bar container. The page
 * is not kept alive while hidden (retainContextWhenHidden would hold a renderer for a view nobody
 * sees); each time it is created it says `ready`, and the latest message of every kind is posted
 * again, in the order they were first sent, so the page ends up where it would have been.
 */
export class SidePanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'neuronLens.sidePanel';

  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** The last message of each kind, in the order of their last posting (Map keeps insertion order). */
  private readonly latest = new Map<ToSidePanel['type'], ToSidePanel>();
  private viewSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly handlers: SidePanelHandlers,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.extensionUri);
    this.viewSubscriptions.push(
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidChangeVisibility(() => {
        // A hidden view's page is destroyed: posts would be lost until it says ready again.
        if (!view.visible) this.ready = false;
        else this.handlers.onDidBecomeVisible();
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.disposeView();
      }),
    );
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'sidePanel', 'Neuron Lens');
    this.handlers.onDidBecomeVisible();
  }

  /** True while the view is on screen: work for it is skipped otherwise, and done when it is shown. */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  post(message: ToSidePanel): void {
    this.latest.delete(message.type);
    this.latest.set(message.type, message);
    if (this.ready) void this.view?.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const m = parseFromSidePanel(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        for (const message of this.latest.values()) void this.view?.webview.postMessage(message);
        break;
      case 'selectNeuron':
        this.handlers.onSelectNeuron(m);
        break;
      case 'runCommand':
        this.handlers.onRunCommand(m.command);
        break;
    }
  }

  private disposeView(): void {
    for (const d of this.viewSubscriptions.splice(0)) d.dispose();
    this.view = undefined;
    this.ready = false;
  }

  dispose(): void {
    this.disposeView();
  }
}
