import * as vscode from 'vscode';
import { type ToWebview, parseFromWebview } from '../../shared/panelMessages';
import type { TrainingRunChange, TrainingRunStore } from './trainingRunStore';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** What the panel asks of its owner; every argument has been validated. */
export interface TrainingPanelHandlers {
  /** The user exported the chart or the steps; `name` is a safe file name, `content` a PNG data: URL or CSV text (see saveExport). */
  onExport(format: 'png' | 'csv', name: string, content: string): void | Thenable<unknown>;
}

/**
 * The training panel: loss curves and figures of the current run. The run lives in a
 * TrainingRunStore in the extension, so the panel can be closed, hidden or reloaded mid-training
 * and comes back complete: every new page gets the whole run when it says `ready`, then one point
 * per step as the store receives them.
 */
export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = 'neuronLens.training';
  private static instance: TrainingPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  /** Fires when the user closes the panel (or it is disposed). */
  readonly onDidDispose = this.disposed.event;
  private ready = false;
  private isDisposed = false;

  /** The open panel, if any. */
  static get current(): TrainingPanel | undefined {
    return TrainingPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, store: TrainingRunStore, handlers: TrainingPanelHandlers): TrainingPanel {
    const open = TrainingPanel.instance;
    if (open) {
      open.handlers = handlers;
      open.panel.reveal(vscode.ViewColumn.Beside, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      TrainingPanel.viewType,
      'Neuron Lens Training',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: false },
    );
    return new TrainingPanel(panel, extensionUri, store, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.training`: takes over a panel VS Code
   * restored after a reload. The page restores its own view state (`_state`); the run comes from
   * the store (empty after a window reload, since training stops with the extension host).
   */
  static revive(
    panel: vscode.WebviewPanel,
    _state: unknown,
    extensionUri: vscode.Uri,
    store: TrainingRunStore,
    handlers: TrainingPanelHandlers,
  ): TrainingPanel {
    TrainingPanel.instance?.dispose();
    // Options are not persisted with the panel; the serializer must set them again.
    panel.webview.options = webviewOptions(extensionUri);
    return new TrainingPanel(panel, extensionUri, store, handlers);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly store: TrainingRunStore,
    private handlers: TrainingPanelHandlers,
  ) {
    TrainingPanel.instance = this;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden page is destroyed; posts would be lost until it says ready again.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      store.onChange((change) => this.forward(change)),
    );
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'training', 'Neuron Lens Training');
    this.showTitle();
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    if (TrainingPanel.instance === this) TrainingPanel.instance = undefined;
    this.disposed.fire();
    this.disposed.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private showTitle(): void {
    const run = this.store.current;
    this.panel.title = run ? `Training: ${run.title}` : 'Neuron Lens Training';
  }

  private forward(change: TrainingRunChange): void {
    if (change.kind === 'run') {
      this.showTitle();
      this.post({ type: 'training', run: change.run });
    } else {
      this.post({ type: 'trainingPoint', runId: change.runId, point: change.point });
    }
  }

  private post(message: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const m = parseFromWebview(raw);
    if (!m) return;
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        const run = this.store.current;
        if (run) this.post({ type: 'training', run });
        break;
      }
      case 'export':
        void Promise.resolve(this.handlers.onExport(m.format, m.name, m.content)).catch((e: unknown) => {
          void vscode.window.showErrorMessage(`Neuron Lens: export failed: ${e instanceof Error ? e.message : String(e)}`);
        });
        break;
      default:
        // Other panels' messages; this page sends only ready and export.
        break;
    }
  }
}
