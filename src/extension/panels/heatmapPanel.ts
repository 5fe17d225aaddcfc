import * as vscode from 'vscode';
import { parseFeature } from '../../shared/featureOfInterest';
import type { HeatmapData, RelevanceData } from '../../shared/panelMessages';
import { isRelevanceStatistic } from '../../shared/relevanceStatistics';
import { type PanelExportHandler, type PanelRequest, WebviewPanelBase } from './webviewPanelBase';

/** What the panel asks of its owner; every argument has been validated against the data shown. */
export interface HeatmapPanelHandlers extends PanelExportHandler {
  /** A neuron row, cell or hypothesis was clicked: colour the editor by this neuron. */
  onHighlightNeuron(neuron: number): void;
  /** A token was clicked: its index in the document's token sequence (HeatmapData.firstToken + column). */
  onRevealToken(index: number): void;
  /** The features of interest or the statistic changed: compute relevance and call showRelevance. */
  onFeaturesChanged(features: string[], statistic: string): void;
}

/**
 * The activation heatmap panel: one at a time, opened beside the editor. The page is not kept
 * alive while hidden (retainContextWhenHidden costs memory for every hidden tab); it saves its
 * view state with setState and, each time it is recreated, says `ready`, whereupon the latest
 * data is posted again. Messages from the page are checked with parseFromWebview and against the
 * data shown before any handler runs.
 */
export class HeatmapPanel extends WebviewPanelBase<HeatmapPanelHandlers> {
  static readonly viewType = 'neuronLens.heatmap';
  private static instance: HeatmapPanel | undefined;

  private readonly loaded = new vscode.EventEmitter<void>();
  /**
   * Fires when a page (re)loads: after a reload, or when the hidden tab is shown again (a hidden
   * page is destroyed). The page then re-announces the features it saved, which may be older than
   * what the owner has since been told: the owner decides whose choice wins.
   */
  readonly onDidLoad = this.loaded.event;
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
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(HeatmapPanel.viewType, 'Neuron Heatmap', extensionUri);
    return new HeatmapPanel(panel, extensionUri, handlers);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.heatmap`: takes over a panel VS Code
   * restored after a reload. The page restores its own view state (`_state`, from setState) and
   * re-announces its features after `ready`, so the owner only has to send data again.
   */
  static revive(panel: vscode.WebviewPanel, _state: unknown, extensionUri: vscode.Uri, handlers: HeatmapPanelHandlers): HeatmapPanel {
    HeatmapPanel.instance?.dispose();
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new HeatmapPanel(panel, extensionUri, handlers);
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, handlers: HeatmapPanelHandlers) {
    super(panel, extensionUri, 'heatmap', 'Neuron Heatmap', handlers);
    HeatmapPanel.instance = this;
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

  override dispose(): void {
    if (HeatmapPanel.instance === this) HeatmapPanel.instance = undefined;
    super.dispose();
    this.loaded.dispose();
  }

  protected override onReady(): void {
    const data = this.heatmap;
    if (data) this.post({ type: 'heatmap', data: { ...data, selectedNeuron: this.selected } });
    if (this.relevance) this.post({ type: 'relevance', data: this.relevance });
    this.loaded.fire();
  }

  protected override onRequest(m: PanelRequest): void {
    const data = this.heatmap;
    switch (m.type) {
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
