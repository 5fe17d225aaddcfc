import type * as vscode from 'vscode';
import type { ComparisonData } from '../../shared/panelMessages';
import { type PanelExportHandler, type PanelRequest, WebviewPanelBase } from './webviewPanelBase';

/** What the panel asks of its owner; every argument has been validated against the data shown. */
export interface ComparisonPanelHandlers extends PanelExportHandler {
  /** A disagreement (or a lane cell) was clicked: its index in the document's token sequence. */
  onRevealToken(index: number): void;
}

/**
 * The comparison panel: two neurons on the same text as two colour lanes, a scatter of their
 * activations with Pearson and Spearman, and the tokens where they disagree most. One at a time,
 * beside the editor; the page is recreated when shown again and gets the latest data on `ready`.
 */
export class ComparisonPanel extends WebviewPanelBase<ComparisonPanelHandlers> {
  static readonly viewType = 'neuronLens.comparison';
  private static instance: ComparisonPanel | undefined;
  private data: ComparisonData | undefined;
  private error: string | undefined;

  static get current(): ComparisonPanel | undefined {
    return ComparisonPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, handlers: ComparisonPanelHandlers): ComparisonPanel {
    const open = ComparisonPanel.instance;
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(ComparisonPanel.viewType, 'Neuron Comparison', extensionUri);
    return new ComparisonPanel(panel, extensionUri, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.comparison`: takes over a panel VS Code
   * restored after a reload. The page keeps no data; the owner computes the comparison again.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: ComparisonPanelHandlers): ComparisonPanel {
    ComparisonPanel.instance?.dispose();
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new ComparisonPanel(panel, extensionUri, handlers);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: ComparisonPanelHandlers) {
    super(panel, extensionUri, 'comparison', 'Neuron Comparison', handlers);
    ComparisonPanel.instance = this;
  }

  showComparison(data: ComparisonData): void {
    this.data = data;
    this.error = undefined;
    this.panel.title = `Compare: ${data.title}`;
    this.post({ type: 'comparison', data });
  }

  showError(message: string): void {
    this.error = message;
    this.post({ type: 'error', message });
  }

  override dispose(): void {
    if (ComparisonPanel.instance === this) ComparisonPanel.instance = undefined;
    super.dispose();
  }

  protected override onReady(): void {
    if (this.data) this.post({ type: 'comparison', data: this.data });
    if (this.error) this.post({ type: 'error', message: this.error });
  }

  protected override onRequest(m: PanelRequest): void {
    if (m.type === 'revealToken' && this.data && m.index < this.data.tokens.length) this.handlers.onRevealToken(m.index);
  }
}
