/**
 * Keeps the heatmap panel showing one document (or a selection of it): the activations of the
 * highlighter's component, the relevance of every neuron to the features of interest, and the
 * neuron highlighted in the editor. Features, statistic and top-k come from the experiment file,
 * and what the user changes in the panel is written back to it.
 */
import * as vscode from 'vscode';
import type { HeatmapData, RelevanceData } from '../../shared/panelMessages';
import type { AnalyzeResult } from '../../shared/protocol';
import { isCancellation } from '../cancellableProgress';
import { documentName } from '../documentText';
import { EngineError } from '../engineClient';
import type { Experiment } from '../experimentFile';
import { firstTokenEndingAfter, tokensOverlapping } from '../tokenIndex';
import { type PanelServices, type PanelTarget, DocumentPanelController } from './documentPanelController';
import { panelExporter } from './exportFile';
import { HeatmapPanel, type HeatmapPanelHandlers } from './heatmapPanel';
import { heatmapTokenWindow } from './heatmapRange';
import { panelComponent } from './panelComponent';
import { shiftRange } from './trackedRange';

const MAX_RELEVANCE_RETRIES = 3;
/** How long after a page loads its messages count as re-announcing its saved state. */
const RESTORE_WINDOW_MS = 150;
const RELEVANCE_RETRY_MS = 300;

interface Relevance {
  features: string[];
  statistic: string;
  topK: number;
}

export class HeatmapController extends DocumentPanelController<PanelTarget> {
  private panel: HeatmapPanel | undefined;
  /** The analysis behind the heatmap shown: token offsets for revealing a clicked token. */
  private analysis: { version: number; result: AnalyzeResult } | undefined;
  private relevance: Relevance = { features: [], statistic: 'cohen-d', topK: 5 };
  /** What the panel last received relevance for (or is receiving it for). */
  private relevanceShown: Relevance | undefined;
  private relevanceRun: AbortController | undefined;
  /**
   * A page that (re)loads re-announces the features it saved. They are not a new choice of the
   * user's, so they are not written to the file; once they are in, the file's choices win.
   */
  private restoring = false;
  private restoreTimer: NodeJS.Timeout | undefined;
  /** After a restore, the file's choices are to be applied once the page's own have been answered. */
  private syncPending = false;
  private capNoticeShown = false;
  private relevanceRetries = 0;
  private readonly export: ReturnType<typeof panelExporter>;

  constructor(s: PanelServices) {
    super(s, 'neuronLens.heatmapTarget');
    this.export = panelExporter(s.log);
  }

  protected get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Show Activation Heatmap: the document (or the selection's offsets) in the highlighter's component. */
  async show(document: vscode.TextDocument, range: [number, number] | undefined): Promise<void> {
    const model = await this.s.models.ensureModel(true);
    if (!model) return;
    const experiment = await this.s.experiment.read();
    const choice = panelComponent(model, this.s.selection.current, experiment);
    if (!choice) throw new EngineError('The model has no layers to show', 'invalid-model', true);
    this.target = { uri: document.uri, layer: choice.layer, component: choice.component, ...(range ? { range } : {}) };
    this.relevance = { features: experiment.features, statistic: experiment.statistic, topK: experiment.topK };
    this.relevanceShown = undefined;
    this.capNoticeShown = false;
    this.remember();
    this.attach(HeatmapPanel.createOrShow(this.s.context.extensionUri, this.handlers()));
    await this.refresh(`Neuron Lens: heatmap of ${documentName(document)}`);
  }

  /** For the serializer: takes over the panel VS Code restored after a reload and recomputes what it showed. */
  async revive(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const stored = this.remembered();
    // Read before the page exists: the features it re-announces once loaded take precedence.
    const experiment = stored && (await this.s.experiment.read().catch(() => undefined));
    this.attach(HeatmapPanel.revive(webviewPanel, state, this.s.context.extensionUri, this.handlers()));
    if (!stored) {
      this.panel?.showError('Run "Neuron Lens: Show Activation Heatmap" on a file to fill this panel.');
      return;
    }
    if (experiment) this.relevance = { features: experiment.features, statistic: experiment.statistic, topK: experiment.topK };
    this.relevanceShown = undefined;
    this.target = {
      uri: vscode.Uri.parse(stored.uri),
      layer: stored.layer,
      component: stored.component,
      ...(stored.range ? { range: stored.range } : {}),
    };
    await this.refresh();
  }

  private attach(panel: HeatmapPanel): void {
    if (panel === this.panel) return;
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.relevanceRun?.abort();
      clearTimeout(this.restoreTimer);
      this.stop();
    });
    panel.onDidLoad(() => {
      // The page posts its saved features right after saying ready, in the same breath.
      this.restoring = true;
      clearTimeout(this.restoreTimer);
      this.restoreTimer = setTimeout(() => {
        this.restoring = false;
        this.syncPending = true;
        // The page adopts other features only once its re-announced ones have been answered.
        if (!this.refreshing && !this.relevanceRun) this.syncWithFile();
      }, RESTORE_WINDOW_MS);
    });
  }

  private handlers(): HeatmapPanelHandlers {
    return {
      onHighlightNeuron: (neuron) => void this.highlightNeuron(neuron).catch((e: unknown) => this.fail(e)),
      onRevealToken: (index) => void this.revealToken(index).catch((e: unknown) => this.fail(e)),
      onFeaturesChanged: (features, statistic) => this.featuresChanged(features, statistic),
      onExport: (format, name, content) => this.export(format, name, content),
    };
  }

  protected async compute(target: PanelTarget, signal: AbortSignal): Promise<void> {
    await this.requireModel(target);
    const document = await this.document(target);
    const { data, analysis, window } = await this.withAnalysis(document, target, signal, async (result) => {
      const count = result.computed;
      const wanted = target.range ? tokensOverlapping(result.starts, result.ends, count, target.range[0], target.range[1]) : undefined;
      if (wanted && wanted.from === wanted.to) throw new EngineError('The selection holds no token to show', 'invalid-input', true);
      const window = heatmapTokenWindow(count, result.units, wanted, this.firstVisibleToken(document, result));
      const matrix = await this.s.engine.request(
        'componentMatrix',
        { docId: document.uri.toString(), from: window.from, to: window.to },
        { signal },
      );
      if (matrix.layer !== target.layer || matrix.component !== target.component) {
        throw new EngineError('The document was analysed for another component meanwhile', 'stale', true);
      }
      const { modelId: _modelId, ...rest } = matrix;
      const selected = this.s.selection.current;
      const data: HeatmapData = {
        ...rest,
        title: this.title(document, window.from, window.to, result, target.range !== undefined),
        ...(selected && selected.layer === target.layer && selected.component === target.component
          ? { selectedNeuron: selected.neuron }
          : {}),
      };
      return { data, analysis: { version: result.version, result }, window: { ...window, total: count } };
    });
    if (signal.aborted || !this.panel) return;
    this.analysis = analysis;
    this.panel.showHeatmap(data);
    if (window.capped && !this.capNoticeShown) {
      this.capNoticeShown = true;
      void vscode.window.showInformationMessage(
        `Neuron Lens: the heatmap shows tokens ${window.from.toLocaleString('en')}–${(window.to - 1).toLocaleString('en')} of ` +
          `${window.total.toLocaleString('en')} (at most ${(window.to - window.from).toLocaleString('en')} for ${data.units} neurons); select text to show another part.`,
      );
    }
    // Relevance is over the whole document: the shown window changes nothing in it, but a new analysis does.
    this.relevanceShown = undefined;
    await this.refreshRelevance();
  }

  /** `name`, or `name, lines a–b` for a selection or a window of a long document. */
  private title(document: vscode.TextDocument, from: number, to: number, result: AnalyzeResult, part: boolean): string {
    const name = documentName(document);
    if (!part && from === 0 && to === result.computed) return name;
    const first = document.positionAt(result.starts[from]!).line + 1;
    const last = document.positionAt(Math.max(result.starts[from]!, result.ends[to - 1]! - 1)).line + 1;
    return first === last ? `${name}, line ${first}` : `${name}, lines ${first}–${last}`;
  }

  /** The first token on screen in the document's editor (0 if none shows it): where a window of a long document starts. */
  private firstVisibleToken(document: vscode.TextDocument, result: AnalyzeResult): number {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
    const start = editor?.visibleRanges[0]?.start;
    return start ? firstTokenEndingAfter(result.ends, result.computed, document.offsetAt(start)) : 0;
  }

  private featuresChanged(features: string[], statistic: string): void {
    const same =
      statistic === this.relevance.statistic &&
      features.length === this.relevance.features.length &&
      features.every((f, i) => f === this.relevance.features[i]);
    // A page that was hidden and shown again re-announces what it already has.
    if (same && (this.relevanceShown || this.refreshing)) return;
    this.relevance = { ...this.relevance, features, statistic };
    const t = this.target;
    if (!same && !this.restoring && t) {
      void this.s.experiment.update({ features, statistic: statistic as Experiment['statistic'], layer: t.layer, component: t.component });
    }
    // A heatmap on its way computes relevance when it arrives.
    if (!this.refreshing) void this.refreshRelevance();
  }

  private syncWithFile(): void {
    if (!this.syncPending || this.restoring || !this.target) return;
    this.syncPending = false;
    void this.experimentChanged().catch((e: unknown) => this.fail(e));
  }

  protected async experimentChanged(): Promise<void> {
    const e = await this.s.experiment.readChange();
    if (!e) return;
    const r = this.relevance;
    const same =
      e.statistic === r.statistic &&
      e.topK === r.topK &&
      e.features.length === r.features.length &&
      e.features.every((f, i) => f === r.features[i]);
    if (same) return;
    this.relevance = { features: e.features, statistic: e.statistic, topK: e.topK };
    if (!this.refreshing) await this.refreshRelevance();
  }

  /** Computes relevance for the current features (none: clears it) and sends it to the panel; a newer call cancels an older one. */
  private async refreshRelevance(): Promise<void> {
    const t = this.target;
    const panel = this.panel;
    if (!t || !panel) return;
    this.relevanceRun?.abort();
    const controller = new AbortController();
    this.relevanceRun = controller;
    const wanted = { ...this.relevance, features: [...this.relevance.features] };
    this.relevanceShown = wanted;
    try {
      if (wanted.features.length === 0) {
        this.showRelevance(panel, controller, { statistic: wanted.statistic, statisticLabel: '', neutral: 0, features: [] });
      } else {
        const document = await this.document(t);
        // The scores come at once; the permutation p-values (a second or more on a wide layer)
        // follow in a second request, so the panel never waits for them.
        for (const permutations of [0, undefined]) {
          const table = await this.withAnalysis(document, t, controller.signal, () =>
            this.s.engine.request(
              'relevanceTable',
              { docId: document.uri.toString(), features: wanted.features, statistic: wanted.statistic, topK: wanted.topK, permutations },
              { signal: controller.signal },
            ),
          );
          const { modelId: _modelId, ...data } = table;
          this.showRelevance(panel, controller, data);
        }
      }
      this.relevanceRetries = 0;
    } catch (e) {
      if (this.relevanceShown === wanted) this.relevanceShown = undefined;
      if (controller.signal.aborted) return;
      if (isCancellation(e) && this.relevanceRetries < MAX_RELEVANCE_RETRIES) {
        // Another holder of the document (a picker) cancelled it: try again once it has had its turn.
        this.relevanceRetries++;
        setTimeout(() => void this.refreshRelevance(), RELEVANCE_RETRY_MS);
      } else this.fail(e);
      return;
    } finally {
      if (this.relevanceRun === controller) this.relevanceRun = undefined;
    }
  }

  private showRelevance(panel: HeatmapPanel, controller: AbortController, data: RelevanceData): void {
    if (controller.signal.aborted || this.panel !== panel) return;
    panel.showRelevance(data);
    this.syncWithFile();
  }

  private async revealToken(index: number): Promise<void> {
    const t = this.target;
    const a = this.analysis;
    if (!t || !a || index >= a.result.computed) return;
    const document = await this.document(t);
    // After an edit the offsets are stale until the refresh that is on its way.
    if (document.version !== a.version) return;
    const range = new vscode.Range(document.positionAt(a.result.starts[index]!), document.positionAt(a.result.ends[index]!));
    const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  protected override edited(e: vscode.TextDocumentChangeEvent): void {
    const t = this.target;
    if (!t?.range) return;
    t.range = shiftRange(
      t.range,
      e.contentChanges.map((c) => ({ rangeOffset: c.rangeOffset, rangeLength: c.rangeLength, textLength: c.text.length })),
    );
    this.remember();
  }

  protected neuronSelected(neuron: number): void {
    this.panel?.selectNeuron(neuron);
  }

  protected showError(message: string): void {
    this.panel?.showError(message);
  }

  override dispose(): void {
    this.relevanceRun?.abort();
    clearTimeout(this.restoreTimer);
    super.dispose();
  }
}
