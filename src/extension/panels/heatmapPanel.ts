import * as vscode from 'vscode';
import { parseFeature } from '../../shared/featureOfInterest';
import { type HeatmapData, type RelevanceData, type ToWebview, parseFromWebview } from '../../shared/panelMessages';
import { isRelevanceStatistic } from '../../shared/relevanceStatistics';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** What the panel asks of its owner; every argument has been validated against the data shown. */
export interface HeatmapPanelHandlers {
  /** A neuron row, cell or hypothesis was clicked: colour the editor by this neuron. */
  onHighlightNeuron(neuron: number): void;
  /** A token was clicked: its index in the document's token sequence (HeatmapData.firstToken + column). */
  onRevealToken(index: number): void;
  /** The features of interest or the statistic changed: compute relevance and call showRelevance. */
  onFeaturesChanged(features: string[], statistic: string): void;
  /** The user exported the view; `name` is a safe file name, `content` a PNG data: URL or CSV text (see saveExport). */
  onExport(format: 'png' | 'csv', name: string, content: string): void | Thenable<unknown>;
}

/**
 * The activation heatmap panel: one at a time, opened beside the editor. The page is not kept
 * alive while hidden (retainContextWhenHidden costs memory for every hidden tab); it saves its
 * view state with setState and, each time it is recreated, says `ready`, whereupon the latest
 * data is posted again. Messages from the page are checked with parseFromWebview and against the
 * data shown before any handler runs.
 */
export class HeatmapPanel implements vscode.Disposable {
  static readonly viewType = 'neuronLens.heatmap';
  private static instance: HeatmapPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  /** Fires when the user closes the panel (or it is disposed). */
  readonly onDidDispose = this.disposed.event;
  private readonly loaded = new vscode.EventEmitter<void>();
  /**
   * Fires when a page (re)loads: after a reload, or when the hidden tab is shown again (a hidden
   * page is destroyed). The page then re-announces the features it saved, which may be older than
   * what the owner has since been told: the owner decides whose choice wins.
   */
  readonly onDidLoad = this.loaded.event;
  private ready = false;
  private isDisposed = false;
  private heatmap: HeatmapData | undefined;
  private relevance: RelevanceData | undefined;
  private selected: number | undefined;
  private features: string[] = [];
  private statistic = 'cohen-d';

  /** The open panel, if any. */
  static get current(): HeatmapPanel | undefined {
    return HeatmapPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, handlers: HeatmapPanelHandlers): HeatmapPanel {
    const open = HeatmapPanel.instance;
    if (open) {
      open.handlers = handlers;
      open.panel.reveal(vscode.ViewColumn.Beside, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      HeatmapPanel.viewType,
      'Neuron Heatmap',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: false },
    );
    return new HeatmapPanel(panel, extensionUri, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.heatmap`: takes over a panel VS Code
   * restored after a reload. The page restores its own view state (`_state`, from setState) and
   * re-announces its features after `ready`, so the owner only has to send data again.
   */
  static revive(panel: vscode.WebviewPanel, _state: unknown, extensionUri: vscode.Uri, handlers: HeatmapPanelHandlers): HeatmapPanel {
    HeatmapPanel.instance?.dispose();
    // Options are not persisted with the panel; the serializer must set them again.
    panel.webview.options = webviewOptions(extensionUri);
    return new HeatmapPanel(panel, extensionUri, handlers);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private handlers: HeatmapPanelHandlers,
  ) {
    HeatmapPanel.instance = this;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden page is destroyed; posts would be lost until it says ready again.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'heatmap', 'Neuron Heatmap');
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  /** The features of interest and statistic the page last asked for. */
  get featuresOfInterest(): { features: readonly string[]; statistic: string } {
    return { features: this.features, statistic: this.statistic };
  }

  /** New activations (another document, layer or component). Relevance for the old data is dropped. */
  showHeatmap(data: HeatmapData): void {
    this.heatmap = data;
    this.selected = data.selectedNeuron;
    if (this.relevance && this.relevance.features.some((f) => f.scores.length !== data.units)) this.relevance = undefined;
    this.panel.title = `Heatmap: ${data.title}`;
    this.post({ type: 'heatmap', data });
  }

  /**
   * Relevance for the page's features, or for features chosen elsewhere (the experiment file),
   * which the page then shows as its own: a later change of statistic applies to them.
   */
  showRelevance(data: RelevanceData): void {
    this.relevance = data.features.length ? data : undefined;
    this.features = data.features.map((f) => f.feature);
    this.statistic = data.statistic;
    this.post({ type: 'relevance', data });
  }

  /** The neuron highlighted in the editor changed elsewhere (status bar, command): mark its row. */
  selectNeuron(neuron: number): void {
    this.selected = neuron;
    this.post({ type: 'selectNeuron', neuron });
  }

  showError(message: string): void {
    this.post({ type: 'error', message });
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    if (HeatmapPanel.instance === this) HeatmapPanel.instance = undefined;
    this.disposed.fire();
    this.disposed.dispose();
    this.loaded.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private post(message: ToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const m = parseFromWebview(raw);
    if (!m) return;
    const data = this.heatmap;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (data) this.post({ type: 'heatmap', data: { ...data, selectedNeuron: this.selected } });
        if (this.relevance) this.post({ type: 'relevance', data: this.relevance });
        this.loaded.fire();
        break;
      case 'highlightNeuron':
        if (data && m.neuron < data.units) {
          this.selected = m.neuron;
          this.handlers.onHighlightNeuron(m.neuron);
        }
        break;
      case 'revealToken':
        if (data && m.index >= data.firstToken && m.index < data.firstToken + data.tokens.length) this.handlers.onRevealToken(m.index);
        break;
      case 'setFeatures': {
        const invalid = m.features.map(featureProblem).find((p) => p !== undefined);
        if (invalid) {
          this.showError(invalid);
          break;
        }
        this.features = m.features;
        if (!m.features.length) this.relevance = undefined;
        this.handlers.onFeaturesChanged(this.features, this.statistic);
        break;
      }
      case 'setStatistic':
        if (!isRelevanceStatistic(m.statistic)) break;
        this.statistic = m.statistic;
        if (this.features.length) this.handlers.onFeaturesChanged(this.features, this.statistic);
        break;
      case 'export':
        void Promise.resolve(this.handlers.onExport(m.format, m.name, m.content)).catch((e: unknown) => {
          void vscode.window.showErrorMessage(`Neuron Lens: export failed: ${e instanceof Error ? e.message : String(e)}`);
        });
        break;
      case 'setSpectrumOptions':
        // The Fourier panel's message; this page never sends it.
        break;
    }
  }
}

/** Why the engine would reject a feature (an invalid regular expression), if it would. */
function featureProblem(spec: string): string | undefined {
  try {
    parseFeature(spec);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
