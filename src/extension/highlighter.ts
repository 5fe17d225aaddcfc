/**
 * Keeps highlighted documents coloured by the selected neuron while they change. Each document
 * has its own state (kept while its editor is hidden, keyed by URI) and one refresh loop that
 * asks the engine for whatever is out of date, in the order that shows colour soonest: the
 * tokens up to the end of the visible range first, their values, then the rest of the document.
 * Answers for an older document version, model or neuron are dropped.
 */
import * as vscode from 'vscode';
import type { AnalyzeResult, NeuronValuesResult } from '../shared/protocol';
import { isCancellation } from './cancellableProgress';
import type { DecorationPainter } from './decorationPainter';
import { documentName, prepareText } from './documentText';
import { EngineError, type EngineClient } from './engineClient';
import { EventLoopMonitor } from './eventLoopMonitor';
import type { ModelService } from './modelService';
import type { NeuronRef, NeuronSelection, Selection } from './neuronSelection';
import { type ValueRange, bucketsOf, colourScale } from './palette';
import { readSettings } from './settings';
import { tokenAt } from './tokenIndex';
import { reportError } from './userErrors';

/** An engine analysis of one version of a document, for one layer and component. */
interface Analysis {
  version: number;
  modelGeneration: number;
  maxTokens: number;
  layer: number;
  component: string;
  /** The text that was analysed (the document's, possibly cut): token offsets index it. */
  text: string;
  cut: boolean;
  result: AnalyzeResult;
}

/** One neuron's values over an analysis, and their colour buckets under the current scale. */
interface Colouring {
  analysis: Analysis;
  neuron: number;
  values: Float32Array;
  range: ValueRange;
  robustScale: number;
  buckets: Int8Array;
}

class DocumentState {
  enabled = false;
  /** Pickers working on this document pause its refresh loop (they drive the engine themselves). */
  holds = 0;
  analysis: Analysis | undefined;
  colouring: Colouring | undefined;
  running = false;
  again = false;
  abort: AbortController | undefined;
  debounce: NodeJS.Timeout | undefined;
  truncationShown = false;

  constructor(readonly document: vscode.TextDocument) {}

  get docId(): string {
    return this.document.uri.toString();
  }
}

/** What a hover needs about the token under the pointer. */
export interface TokenInfo {
  docId: string;
  index: number;
  start: number;
  end: number;
  text: string;
  value: number;
  selection: Selection;
}

export class Highlighter implements vscode.Disposable {
  private readonly states = new Map<string, DocumentState>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private busyRuns = 0;
  private readonly busyChanged = new vscode.EventEmitter<boolean>();
  private readonly enabledChanged = new vscode.EventEmitter<vscode.TextDocument>();
  /** A document's neuron colouring was turned on (other colourings of it give way). */
  readonly onDidEnable = this.enabledChanged.event;
  /** True while some document is being analysed or coloured. */
  readonly onDidChangeBusy = this.busyChanged.event;

  constructor(
    private readonly engine: EngineClient,
    private readonly models: ModelService,
    private readonly selection: NeuronSelection,
    private readonly painter: DecorationPainter,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      this.busyChanged,
      this.enabledChanged,
      vscode.workspace.onDidChangeTextDocument((e) => this.documentChanged(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.documentClosed(d)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.visibleEditorsChanged()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.scrolled(e.textEditor)),
      selection.onDidChange(() => this.refreshAll()),
      models.onDidChange(({ model }) => {
        if (model && this.selection.current && !this.selection.adaptTo(model)) {
          this.clearAll();
          void vscode.window.showInformationMessage(
            'Neuron Lens: the new model has no such neuron; run "Highlight Active File by Neuron…" to choose one.',
          );
        }
        this.refreshAll();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
    );
  }

  isHighlighted(document: vscode.TextDocument): boolean {
    return this.states.get(document.uri.toString())?.enabled ?? false;
  }

  /** Starts highlighting a document with the selected neuron. False (with a message) for binary documents. */
  highlight(document: vscode.TextDocument): boolean {
    if (this.refuses(document)) return false;
    const state = this.stateFor(document);
    state.enabled = true;
    this.enabledChanged.fire(document);
    this.updateContext();
    // Turned back on: what is still current shows at once (the loop only paints what it fetches).
    this.paint(state);
    this.schedule(state);
    return true;
  }

  /** Stops colouring a document but keeps its analysis, so turning it back on is immediate. */
  disable(document: vscode.TextDocument): void {
    const state = this.states.get(document.uri.toString());
    if (!state) return;
    state.enabled = false;
    state.abort?.abort();
    for (const editor of this.editorsOf(document)) this.painter.clear(editor);
    this.updateContext();
  }

  /** Removes all colours and forgets every analysis (here and in the engine). */
  clearAll(): void {
    for (const state of this.states.values()) {
      state.enabled = false;
      state.abort?.abort();
      clearTimeout(state.debounce);
      for (const editor of this.editorsOf(state.document)) this.painter.clear(editor);
      this.closeInEngine(state.docId);
    }
    this.states.clear();
    this.updateContext();
  }

  get hasHighlights(): boolean {
    return [...this.states.values()].some((s) => s.enabled);
  }

  /**
   * For pickers: pauses the document's refresh loop until the returned function is called, so
   * that the picker's own engine calls (analyse one component, describe its neurons) are not
   * interleaved with the loop's calls for another component.
   */
  hold(document: vscode.TextDocument): () => void {
    const state = this.stateFor(document);
    state.holds++;
    state.abort?.abort();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.holds--;
      if (state.enabled) this.schedule(state);
    };
  }

  /**
   * Analyses a document for a component right away (for a picker): up to the end of the visible
   * range unless `complete`. The result is kept, so highlighting with that component afterwards
   * starts from it. Throws a user error for binary documents.
   */
  async analyze(
    document: vscode.TextDocument,
    ref: Pick<NeuronRef, 'layer' | 'component'>,
    options: { complete: boolean; signal?: AbortSignal },
  ): Promise<AnalyzeResult> {
    const state = this.stateFor(document);
    const model = await this.models.ensureModel(true);
    if (!model) throw new vscode.CancellationError();
    const analysis = await this.requestAnalysis(state, ref, options.complete ? undefined : this.visibleEnd(document), options.signal);
    if (!analysis) throw new EngineError(`${documentName(document)} changed during the analysis; try again`, 'stale', true);
    return analysis.result;
  }

  /** The token at an offset of a highlighted document and the selected neuron's value there. */
  tokenInfo(document: vscode.TextDocument, offset: number): TokenInfo | undefined {
    const state = this.states.get(document.uri.toString());
    const selection = this.selection.current;
    // Only where the colours are shown: a turned-off document (or one showing saliency) has no neuron hover.
    const c = state?.enabled ? this.currentColouring(state) : undefined;
    if (!state || !selection || !c) return undefined;
    const r = c.analysis.result;
    const index = tokenAt(r.starts, r.ends, c.values.length, offset);
    if (index < 0) return undefined;
    const start = r.starts[index]!;
    const end = r.ends[index]!;
    return { docId: state.docId, index, start, end, text: c.analysis.text.slice(start, end), value: c.values[index]!, selection };
  }

  /** True (after telling the user) for documents that cannot be highlighted: binary content. */
  refuses(document: vscode.TextDocument): boolean {
    if (!document.getText().includes('\u0000')) return false;
    void vscode.window.showWarningMessage(
      `Neuron Lens: ${documentName(document)} looks like a binary file (it contains NUL characters); only text can be highlighted.`,
    );
    return true;
  }

  private stateFor(document: vscode.TextDocument): DocumentState {
    const key = document.uri.toString();
    let state = this.states.get(key);
    if (!state || state.document !== document) {
      state = new DocumentState(document);
      this.states.set(key, state);
    }
    return state;
  }

  private schedule(state: DocumentState): void {
    if (state.running) {
      state.again = true;
      return;
    }
    void this.run(state);
  }

  private refreshAll(): void {
    for (const state of this.states.values()) if (state.enabled) this.schedule(state);
  }

  /** The refresh loop of one document: one engine step at a time until nothing is out of date. */
  private async run(state: DocumentState): Promise<void> {
    state.running = true;
    this.setBusy(+1);
    const monitor = new EventLoopMonitor();
    let steps = 0;
    try {
      for (;;) {
        state.again = false;
        let worked = false;
        try {
          worked = await this.step(state);
        } catch (e) {
          if (!isCancellation(e)) {
            state.enabled = false;
            for (const editor of this.editorsOf(state.document)) this.painter.clear(editor);
            this.updateContext();
            reportError(this.log, e, `highlighting ${documentName(state.document)}`);
            break;
          }
          worked = true;
        }
        if (worked) steps++;
        else if (!state.again) break;
      }
    } finally {
      const delay = monitor.stop();
      state.running = false;
      this.setBusy(-1);
      if (steps > 0) {
        const tokens = state.analysis?.result.computed ?? 0;
        this.log.info(
          `event loop max delay ${delay} ms during highlighting (${documentName(state.document)}, ${tokens.toLocaleString('en')} tokens)`,
        );
      }
    }
  }

  /** Does the next thing the document needs; false when it is up to date (or must wait). */
  private async step(state: DocumentState): Promise<boolean> {
    if (!state.enabled || state.holds > 0 || state.debounce || !this.isVisible(state.document)) return false;
    const selection = this.selection.current;
    if (!selection) return false;
    const model = await this.models.ensureModel(false);
    if (!model) {
      this.clearAll();
      void vscode.window.showWarningMessage('Neuron Lens: no model is loaded; highlighting stopped.');
      return false;
    }
    if (!state.enabled || state.holds > 0 || state.debounce) return false;
    const analysis = state.analysis;
    if (!analysis || !this.analysisCurrent(state, analysis, selection)) {
      await this.requestAnalysis(state, selection, this.visibleEnd(state.document));
      return true;
    }
    const c = state.colouring;
    if (!c || c.analysis !== analysis || c.neuron !== selection.neuron) {
      await this.requestValues(state, analysis, selection.neuron);
      return true;
    }
    if (analysis.result.computed < analysis.result.starts.length) {
      await this.requestAnalysis(state, selection, undefined);
      return true;
    }
    this.reportTruncation(state, analysis);
    return false;
  }

  private analysisCurrent(state: DocumentState, a: Analysis, ref: Pick<NeuronRef, 'layer' | 'component'>): boolean {
    return (
      a.version === state.document.version &&
      a.modelGeneration === this.models.generation &&
      a.layer === ref.layer &&
      a.component === ref.component &&
      a.maxTokens === readSettings().maxTokens
    );
  }

  /** Analyses the document (up to `untilOffset`); stores and returns the analysis unless it went stale. */
  private async requestAnalysis(
    state: DocumentState,
    ref: Pick<NeuronRef, 'layer' | 'component'>,
    untilOffset: number | undefined,
    outerSignal?: AbortSignal,
  ): Promise<Analysis | undefined> {
    const document = state.document;
    const { maxTokens } = readSettings();
    const prepared = prepareText(document.getText(), maxTokens);
    if (prepared.kind === 'binary') {
      throw new EngineError(`${documentName(document)} looks like a binary file (it contains NUL characters)`, 'invalid-input', true);
    }
    const version = document.version;
    const generation = this.models.generation;
    const signal = this.newSignal(state, outerSignal);
    // An emptied document has nothing to colour; the engine would call empty text an error.
    const result: AnalyzeResult =
      prepared.text.length === 0
        ? this.emptyAnalysis(state.docId, version)
        : await this.engine.request(
            'analyze',
            {
              docId: state.docId,
              version,
              text: prepared.text,
              layer: ref.layer,
              component: ref.component,
              maxTokens,
              untilOffset: untilOffset !== undefined && untilOffset < prepared.text.length ? untilOffset : undefined,
            },
            { signal },
          );
    if (result.version !== version)
      throw new Error(`The engine answered for version ${result.version} of a request for version ${version}`);
    if (version !== document.version || generation !== this.models.generation) return undefined;
    const analysis: Analysis = {
      version,
      modelGeneration: generation,
      maxTokens,
      layer: ref.layer,
      component: ref.component,
      text: prepared.text,
      cut: prepared.cut,
      result,
    };
    state.analysis = analysis;
    return analysis;
  }

  private emptyAnalysis(docId: string, version: number): AnalyzeResult {
    const none = new Int32Array(0);
    return {
      docId,
      version,
      modelId: this.models.model?.modelId ?? 0,
      units: 0,
      starts: none,
      ends: none,
      computed: 0,
      recomputedFrom: 0,
      truncated: false,
      totalTokens: 0,
    };
  }

  private async requestValues(state: DocumentState, analysis: Analysis, neuron: number): Promise<void> {
    if (analysis.result.starts.length === 0) {
      const values = new Float32Array(0);
      state.colouring = { analysis, neuron, values, range: 'signed', robustScale: 1, buckets: new Int8Array(0) };
      this.paint(state);
      return;
    }
    const signal = this.newSignal(state);
    const result: NeuronValuesResult = await this.engine.request('neuronValues', { docId: state.docId, neuron }, { signal });
    if (state.analysis !== analysis || analysis.version !== state.document.version || this.selection.current?.neuron !== neuron) return;
    const values =
      result.values.length > analysis.result.starts.length ? result.values.subarray(0, analysis.result.starts.length) : result.values;
    state.colouring = {
      analysis,
      neuron,
      values,
      range: result.range,
      robustScale: result.robustScale,
      buckets: bucketsOf(values, colourScale(result.range, readSettings().scale, result.robustScale, values)),
    };
    this.paint(state);
  }

  /** The colouring if it shows the selected neuron on the document's current text, else undefined. */
  private currentColouring(state: DocumentState): Colouring | undefined {
    const c = state.colouring;
    const selection = this.selection.current;
    if (!state.enabled || !c || !selection || c.neuron !== selection.neuron || c.analysis !== state.analysis) return undefined;
    return this.analysisCurrent(state, c.analysis, selection) ? c : undefined;
  }

  /** Paints the document's current colouring in its visible editors; nothing when it is out of date (the loop will fetch). */
  private paint(state: DocumentState, only?: vscode.TextEditor): void {
    const c = this.currentColouring(state);
    if (!c) return;
    const data = { text: c.analysis.text, starts: c.analysis.result.starts, ends: c.analysis.result.ends, buckets: c.buckets };
    for (const editor of only ? [only] : this.editorsOf(state.document)) this.painter.paint(editor, data);
  }

  private reportTruncation(state: DocumentState, analysis: Analysis): void {
    const r = analysis.result;
    if (state.truncationShown || !(r.truncated || analysis.cut)) return;
    state.truncationShown = true;
    const total = analysis.cut ? `more than ${r.totalTokens.toLocaleString('en')}` : r.totalTokens.toLocaleString('en');
    void vscode.window
      .showWarningMessage(
        `Neuron Lens: ${documentName(state.document)} has ${total} tokens; only the first ${r.starts.length.toLocaleString('en')} are highlighted (setting neuronLens.maxTokens).`,
        'Open Setting',
      )
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'neuronLens.maxTokens');
      });
  }

  /** A signal for the next request of a document: aborting it cancels the request in the engine. */
  private newSignal(state: DocumentState, outer?: AbortSignal): AbortSignal {
    const controller = new AbortController();
    state.abort = controller;
    return outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  }

  private documentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const state = this.states.get(e.document.uri.toString());
    if (!state?.enabled) return;
    // Whatever the engine is computing is for a text that no longer exists.
    state.abort?.abort();
    clearTimeout(state.debounce);
    state.debounce = setTimeout(() => {
      state.debounce = undefined;
      this.schedule(state);
    }, readSettings().debounceMs);
  }

  private documentClosed(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const state = this.states.get(key);
    if (!state) return;
    state.enabled = false;
    state.abort?.abort();
    clearTimeout(state.debounce);
    this.states.delete(key);
    this.closeInEngine(key);
    this.updateContext();
  }

  private closeInEngine(docId: string): void {
    // Only a running worker can hold the document; starting one just to close it would load tfjs.
    if (!this.engine.running) return;
    this.engine.request('closeDocument', { docId }).catch((e: unknown) => this.log.debug(`closeDocument ${docId}: ${String(e)}`));
  }

  private visibleEditorsChanged(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const state = this.states.get(editor.document.uri.toString());
      if (!state?.enabled) continue;
      // A re-shown editor is a new TextEditor without decorations: paint what is known at once.
      this.paint(state, editor);
      this.schedule(state);
    }
    this.updateContext();
  }

  private scrolled(editor: vscode.TextEditor): void {
    const state = this.states.get(editor.document.uri.toString());
    if (!state?.enabled) return;
    if (this.painter.needsRepaint(editor)) this.paint(state, editor);
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration('neuronLens.palette')) {
      this.painter.setPalette(readSettings().palette);
      for (const state of this.states.values()) this.paint(state);
    }
    if (e.affectsConfiguration('neuronLens.scale')) {
      const { scale } = readSettings();
      for (const state of this.states.values()) {
        const c = state.colouring;
        if (!c) continue;
        c.buckets = bucketsOf(c.values, colourScale(c.range, scale, c.robustScale, c.values));
        this.paint(state);
      }
    }
    if (e.affectsConfiguration('neuronLens.maxTokens')) {
      for (const state of this.states.values()) state.truncationShown = false;
      this.refreshAll();
    }
  }

  private updateContext(): void {
    const active = vscode.window.activeTextEditor;
    void vscode.commands.executeCommand('setContext', 'neuronLens.highlighting', active ? this.isHighlighted(active.document) : false);
    void vscode.commands.executeCommand('setContext', 'neuronLens.hasHighlights', this.hasHighlights);
  }

  private setBusy(delta: number): void {
    const before = this.busyRuns > 0;
    this.busyRuns += delta;
    if (before !== this.busyRuns > 0) this.busyChanged.fire(this.busyRuns > 0);
  }

  private editorsOf(document: vscode.TextDocument): vscode.TextEditor[] {
    return vscode.window.visibleTextEditors.filter((e) => e.document === document);
  }

  private isVisible(document: vscode.TextDocument): boolean {
    return vscode.window.visibleTextEditors.some((e) => e.document === document);
  }

  /** The offset where the last visible line of the document's editors ends (or the document's end when none shows it). */
  private visibleEnd(document: vscode.TextDocument): number {
    let end = -1;
    for (const editor of this.editorsOf(document)) {
      for (const range of editor.visibleRanges) end = Math.max(end, document.offsetAt(document.lineAt(range.end.line).range.end));
    }
    return end < 0 ? document.getText().length : end;
  }

  dispose(): void {
    for (const state of this.states.values()) {
      state.abort?.abort();
      clearTimeout(state.debounce);
    }
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
