import type * as vscode from 'vscode';
import type { ResultAction, ResultsData } from '../../shared/panelMessages';
import { type PanelExportHandler, type PanelRequest, WebviewPanelBase } from './webviewPanelBase';

/** What the panel asks of its owner. Card ids are only forwarded for cards the panel shows. */
export interface ResultsPanelHandlers extends PanelExportHandler {
  /** A button: of row `row` of the card, or of the card itself when `row` is undefined. */
  onAction(card: string, action: ResultAction, row: number | undefined): void;
  onClose(card: string): void;
  onClear(): void;
}

/**
 * The results panel: the text investigations (maximisation, top contexts, saliency, fooling,
 * inversion) as a list of cards, newest first. One at a time, beside the editor, opened without
 * taking focus (a command's quick pick keeps it); the page is recreated when shown again and gets
 * the list on `ready`, also after a window reload (ResultsController keeps the cards).
 */
export class ResultsPanel extends WebviewPanelBase<ResultsPanelHandlers> {
  static readonly viewType = 'neuronLens.results';
  static readonly title = 'Neuron Lens Results';
  private static instance: ResultsPanel | undefined;
  private data: ResultsData = { cards: [] };

  static get current(): ResultsPanel | undefined {
    return ResultsPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus where it is. */
  static createOrShow(extensionUri: vscode.Uri, handlers: ResultsPanelHandlers): ResultsPanel {
    const open = ResultsPanel.instance;
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(ResultsPanel.viewType, ResultsPanel.title, extensionUri);
    return new ResultsPanel(panel, extensionUri, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.results`: takes over a panel VS Code
   * restored after a reload. The page keeps no cards; the owner sends the ones it kept.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: ResultsPanelHandlers): ResultsPanel {
    ResultsPanel.instance?.dispose();
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new ResultsPanel(panel, extensionUri, handlers);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: ResultsPanelHandlers) {
    super(panel, extensionUri, 'results', ResultsPanel.title, handlers);
    ResultsPanel.instance = this;
  }

  showResults(data: ResultsData): void {
    this.data = data;
    this.post({ type: 'results', data });
  }

  override dispose(): void {
    if (ResultsPanel.instance === this) ResultsPanel.instance = undefined;
    super.dispose();
  }

  protected override onReady(): void {
    this.post({ type: 'results', data: this.data });
  }

  protected override onRequest(m: PanelRequest): void {
    if (m.type === 'clearResults') this.handlers.onClear();
    else if (m.type === 'closeResult' && this.shows(m.card)) this.handlers.onClose(m.card);
    else if (m.type === 'resultAction' && this.shows(m.card)) this.handlers.onAction(m.card, m.action, m.row);
  }

  private shows(card: string): boolean {
    return this.data.cards.some((c) => c.id === card);
  }
}
