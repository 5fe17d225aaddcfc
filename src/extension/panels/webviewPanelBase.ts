import * as vscode from 'vscode';
import { type FromWebview, type ToWebview, parseFromWebview } from '../../shared/panelMessages';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** What every panel asks of its owner. */
export interface PanelExportHandler {
  /** The user exported the view; `name` is a safe file name, `content` a PNG data: URL or CSV text (see saveExport). */
  onExport(format: 'png' | 'csv', name: string, content: string): void | Thenable<unknown>;
}

/** A validated message from a page, other than the `ready` and `export` the base class handles. */
export type PanelRequest = Exclude<FromWebview, { type: 'ready' | 'export' }>;

/**
 * The plumbing shared by the analysis panels (heatmap, spectra, training): each is one at a time,
 * opened beside the editor, and its page is not kept alive while hidden (retainContextWhenHidden
 * costs memory for every hidden tab). Each time the page is (re)created it says `ready`, whereupon
 * the subclass posts its latest data again (onReady); posts before that would be lost and are
 * dropped. Messages from the page are checked with parseFromWebview; `export` goes to the
 * owner's onExport, everything else to the subclass (onRequest), which checks it against the data
 * shown before calling a handler.
 *
 * A subclass keeps its one open instance in a static field, sets it in its constructor and clears
 * it in an overriding dispose before calling super.dispose().
 */
export abstract class WebviewPanelBase<Handlers extends PanelExportHandler> implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  /** Fires when the user closes the panel (or it is disposed). */
  readonly onDidDispose = this.disposed.event;
  private ready = false;
  private isDisposed = false;

  /** A new panel beside the active editor, keeping focus in the editor. */
  protected static openBeside(viewType: string, title: string, extensionUri: vscode.Uri): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(
      viewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: false },
    );
  }

  /** Prepares a panel VS Code restored after a reload: its options are not persisted, so the serializer must set them again. */
  protected static restoreOptions(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): void {
    panel.webview.options = webviewOptions(extensionUri);
  }

  /**
   * @param page the page's bundle and stylesheet (see webviewHtml)
   * @param title the page's document title
   */
  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    page: string,
    title: string,
    protected handlers: Handlers,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden page is destroyed; posts would be lost until it says ready again.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
    panel.webview.html = webviewHtml(panel.webview, extensionUri, page, title);
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  /** Releases `subscription` with the panel. */
  protected track(subscription: vscode.Disposable): void {
    this.disposables.push(subscription);
  }

  /** Reveals this open panel for a new owner (createOrShow on a panel already open). */
  protected adopt(handlers: Handlers): this {
    this.handlers = handlers;
    this.reveal();
    return this;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.disposed.fire();
    this.disposed.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** The page just (re)loaded and is listening: post it the latest data. */
  protected abstract onReady(): void;

  /** A validated request from the page (not ready or export); ignored unless overridden. */
  protected onRequest(_request: PanelRequest): void {}

  protected post(message: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const m = parseFromWebview(raw);
    if (!m) return;
    if (m.type === 'ready') {
      this.ready = true;
      this.onReady();
    } else if (m.type === 'export') {
      void Promise.resolve(this.handlers.onExport(m.format, m.name, m.content)).catch((e: unknown) => {
        void vscode.window.showErrorMessage(`Neuron Lens: export failed: ${e instanceof Error ? e.message : String(e)}`);
      });
    } else {
      this.onRequest(m);
    }
  }
}
