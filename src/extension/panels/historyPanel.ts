import type * as vscode from 'vscode';
import type { HistoryData } from '../../shared/panelMessages';
import { type PanelExportHandler, type PanelRequest, WebviewPanelBase } from './webviewPanelBase';

/** What the panel asks of its owner; every argument has been validated against the data shown. */
export interface HistoryPanelHandlers extends PanelExportHandler {
  /** A token of the text was clicked: its index in the history's tokens. */
  onRevealToken(index: number): void;
}

/**
 * The neuron-across-training panel: one neuron on one passage at every checkpoint training kept
 * (a slider over the checkpoints colouring the text, small multiples of all of them, each
 * feature's d over training and when it emerged). One at a time, beside the editor; the page is
 * recreated when shown again and gets the latest data on `ready`. A history is computed once per
 * command (it reads every snapshot from disk), so it does not follow edits; the page keeps it
 * with setState, which brings it back after a window reload.
 */
export class HistoryPanel extends WebviewPanelBase<HistoryPanelHandlers> {
  static readonly viewType = 'neuronLens.history';
  private static instance: HistoryPanel | undefined;
  private data: HistoryData | undefined;
  private error: string | undefined;

  static get current(): HistoryPanel | undefined {
    return HistoryPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, handlers: HistoryPanelHandlers): HistoryPanel {
    const open = HistoryPanel.instance;
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(HistoryPanel.viewType, 'Neuron Across Training', extensionUri);
    return new HistoryPanel(panel, extensionUri, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.history`: takes over a panel VS Code
   * restored after a reload. The history cannot be recomputed (see historyState): the owner checks
   * the page's saved state and shows the history it holds, or says why there is none.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: HistoryPanelHandlers): HistoryPanel {
    HistoryPanel.instance?.dispose();
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new HistoryPanel(panel, extensionUri, handlers);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: HistoryPanelHandlers) {
    super(panel, extensionUri, 'history', 'Neuron Across Training', handlers);
    HistoryPanel.instance = this;
  }

  showHistory(data: HistoryData): void {
    this.data = data;
    this.error = undefined;
    this.panel.title = `Training: ${data.label}`;
    this.post({ type: 'history', data });
  }

  showError(message: string): void {
    this.error = message;
    this.post({ type: 'error', message });
  }

  override dispose(): void {
    if (HistoryPanel.instance === this) HistoryPanel.instance = undefined;
    super.dispose();
  }

  protected override onReady(): void {
    if (this.data) this.post({ type: 'history', data: this.data });
    if (this.error) this.post({ type: 'error', message: this.error });
  }

  protected override onRequest(m: PanelRequest): void {
    if (m.type === 'revealToken' && this.data && m.index < this.data.tokens.length) this.handlers.onRevealToken(m.index);
  }
}
