/**
 * What the heatmap and Fourier panels share: each shows one document's layer and component and
 * keeps it current. The document is remembered by URI (in workspace state too, so a panel restored
 * after a reload knows what it showed) and edits refresh the panel after a pause; the panel follows
 * the highlighter's component and neuron, and a new model recomputes it or says why it cannot.
 * Engine work holds the highlighter's refresh loop for the document, so the two never interleave
 * analyses of different components.
 */
import * as vscode from 'vscode';
import type { AnalyzeResult } from '../../shared/protocol';
import { isCancellation, withCancellableProgress } from '../cancellableProgress';
import { EngineError } from '../engineClient';
import type { ActiveModel } from '../modelService';
import type { Services } from '../services';
import { componentOf } from './panelComponent';

/** What a panel controller needs of the extension's services. */
export type PanelServices = Pick<Services, 'context' | 'log' | 'engine' | 'models' | 'selection' | 'highlighter' | 'experiment'>;

export interface PanelTarget {
  uri: vscode.Uri;
  layer: number;
  component: string;
  /** Offsets of the part of the document shown (a selection), kept on its text while the document is edited; all of it when undefined. */
  range?: [number, number];
}

/** A panel's target as kept in workspace state (plain JSON). */
export interface StoredTarget {
  uri: string;
  layer: number;
  component: string;
  /** Heatmap of a selection: its offsets when the window closed. */
  range?: [number, number];
}

/** After an edit, the panel waits for typing to pause: recomputing on every key would only queue work. */
export const EDIT_REFRESH_MS = 500;
/** A computation cancelled by someone else (a picker holding the document) is tried again, this often at most in a row. */
const MAX_RETRIES = 3;

/**
 * Panels take turns with the engine: holding the highlighter for a document cancels whatever the
 * previous holder was computing there, so two panels restored together must not hold it at once.
 */
let turn: Promise<unknown> = Promise.resolve();
function inTurn<R>(work: () => Promise<R>): Promise<R> {
  const result = turn.then(work);
  turn = result.catch(() => undefined);
  return result;
}

export abstract class DocumentPanelController<T extends PanelTarget> implements vscode.Disposable {
  protected target: T | undefined;
  private run: AbortController | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private generation = -1;
  private retries = 0;
  protected readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    protected readonly s: PanelServices,
    /** workspaceState key of the target. */
    private readonly stateKey: string,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.isOpen || !this.target || e.contentChanges.length === 0) return;
        if (e.document.uri.toString() !== this.target.uri.toString()) return;
        this.edited(e);
        this.refreshLater();
      }),
      s.selection.onDidChange((selection) => {
        const t = this.target;
        if (!this.isOpen || !t || !selection) return;
        if (selection.layer === t.layer && selection.component === t.component) this.neuronSelected(selection.neuron);
        else {
          // The highlighter now records another component of the document: show that one.
          this.target = { ...t, layer: selection.layer, component: selection.component };
          this.remember();
          void this.refresh();
        }
      }),
      s.models.onDidChange(({ model, generation }) => {
        // A renamed model (Save Model As) has the same weights: nothing to recompute.
        if (generation === this.generation) return;
        this.generation = generation;
        if (this.isOpen && this.target && model) this.modelChanged(model);
      }),
      s.experiment.onDidChange(() => {
        if (this.isOpen && this.target) void this.experimentChanged().catch((e: unknown) => this.fail(e));
      }),
    );
  }

  /** Whether the panel is open. */
  protected abstract get isOpen(): boolean;
  /** Computes and shows the target's analysis; must check `signal` before showing anything. */
  protected abstract compute(target: T, signal: AbortSignal): Promise<void>;
  protected abstract showError(message: string): void;
  protected abstract neuronSelected(neuron: number): void;
  /** The experiment file changed on disk: pick up what differs from what is shown. */
  protected abstract experimentChanged(): Promise<void>;
  /** The target document was edited (before the refresh): e.g. move a selection along. */
  protected edited(_e: vscode.TextDocumentChangeEvent): void {}

  /** Recomputes the panel now (a newer call cancels an older one); with a title, progress shows if it takes over a second. */
  protected async refresh(progressTitle?: string): Promise<void> {
    clearTimeout(this.debounce);
    this.debounce = undefined;
    const target = this.target;
    if (!target) return;
    this.run?.abort();
    const controller = new AbortController();
    this.run = controller;
    // Aborted by a newer refresh, or by the user through the progress notification.
    let signal = controller.signal;
    try {
      if (progressTitle) {
        await withCancellableProgress(
          progressTitle,
          (cancel) => this.compute(target, (signal = AbortSignal.any([cancel, controller.signal]))),
          { delayMs: 1000 },
        );
      } else await this.compute(target, signal);
      this.retries = 0;
    } catch (e) {
      if (signal.aborted) return;
      if (isCancellation(e) && this.retries < MAX_RETRIES) {
        // Not our cancel, nor the user's: another holder of the document took it over. Try again.
        this.retries++;
        this.refreshLater();
      } else this.fail(e);
    } finally {
      if (this.run === controller) this.run = undefined;
    }
  }

  /** Whether a refresh is under way (it ends by showing everything that depends on it). */
  protected get refreshing(): boolean {
    return this.run !== undefined || this.debounce !== undefined;
  }

  protected refreshLater(): void {
    clearTimeout(this.debounce);
    // What is being computed is for a text that no longer exists.
    this.run?.abort();
    this.debounce = setTimeout(() => void this.refresh(), EDIT_REFRESH_MS);
  }

  /** Reports a failure in the panel (and the log); cancellations and stale answers are not failures. */
  protected fail(e: unknown): void {
    if (isCancellation(e)) return;
    if (e instanceof EngineError && e.code === 'stale') return; // the edit that made it stale schedules a refresh
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof EngineError && e.userError) this.s.log.warn(`panel: ${message}`);
    else this.s.log.error(`panel: ${e instanceof Error && e.stack ? e.stack : message}`);
    this.showError(message);
  }

  private modelChanged(model: ActiveModel): void {
    const t = this.target!;
    if (componentOf(model, t)) {
      void this.refresh();
      return;
    }
    this.showError(
      `The model changed and has no ${t.component} in layer ${t.layer}: choose a component with "Highlight Active File by Neuron…" and the panel follows.`,
    );
  }

  /** The model the panel computes with, loading it if needed; a user error when there is none or it lacks the component. */
  protected async requireModel(target: PanelTarget): Promise<ActiveModel> {
    const model = await this.s.models.ensureModel(false);
    if (!model)
      throw new EngineError('No model is loaded: train a model or load a model folder, then open the panel again', 'no-model', true);
    this.generation = this.s.models.generation;
    if (!componentOf(model, target)) {
      throw new EngineError(`The model has no ${target.component} in layer ${target.layer}`, 'invalid-input', true);
    }
    return model;
  }

  /** The target's document, opened again if VS Code closed it (it keeps documents no editor shows only for a while). */
  protected async document(target: PanelTarget): Promise<vscode.TextDocument> {
    const key = target.uri.toString();
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && !d.isClosed);
    if (open) return open;
    try {
      return await vscode.workspace.openTextDocument(target.uri);
    } catch {
      throw new EngineError(`${target.uri.path.split('/').pop()} is no longer available`, 'not-found', true);
    }
  }

  /**
   * Runs `work` on a complete analysis of the document for the target's component, with the
   * highlighter's loop for that document paused meanwhile (so that `work`'s engine requests see
   * this component), and resumes the loop after.
   */
  protected async withAnalysis<R>(
    document: vscode.TextDocument,
    target: PanelTarget,
    signal: AbortSignal,
    work: (analysis: AnalyzeResult) => Promise<R>,
  ): Promise<R> {
    return inTurn(async () => {
      const release = this.s.highlighter.hold(document);
      try {
        const analysis = await this.s.highlighter.analyze(document, target, { complete: true, signal });
        return await work(analysis);
      } finally {
        release();
      }
    });
  }

  /** Colours the target document by a neuron of the panel's component (showing the document beside the panel if hidden). */
  protected async highlightNeuron(neuron: number): Promise<void> {
    const t = this.target;
    const model = this.s.models.model;
    const choice = t && model && componentOf(model, t);
    if (!t || !choice || neuron >= choice.units) return;
    this.s.selection.set({ layer: t.layer, component: t.component, componentLabel: choice.label, units: choice.units, neuron });
    const document = await this.document(t);
    if (!vscode.window.visibleTextEditors.some((e) => e.document === document)) {
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, preview: false });
    }
    if (!this.s.highlighter.isHighlighted(document)) this.s.highlighter.highlight(document);
  }

  /** Keeps the target in workspace state, for the panel's serializer after a reload. */
  protected remember(): void {
    const t = this.target;
    if (!t) return;
    const stored: StoredTarget = { uri: t.uri.toString(), layer: t.layer, component: t.component, ...(t.range ? { range: t.range } : {}) };
    void this.s.context.workspaceState.update(this.stateKey, stored);
  }

  /** The target remembered by `remember`, if it is well-formed. */
  protected remembered(): StoredTarget | undefined {
    const x = this.s.context.workspaceState.get<unknown>(this.stateKey);
    if (typeof x !== 'object' || x === null) return undefined;
    const t = x as Record<string, unknown>;
    const isIndex = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (typeof t.uri !== 'string' || !isIndex(t.layer) || typeof t.component !== 'string') return undefined;
    const range = Array.isArray(t.range) && t.range.length === 2 && t.range.every(isIndex) ? (t.range as [number, number]) : undefined;
    return { uri: t.uri, layer: t.layer, component: t.component, ...(range ? { range } : {}) };
  }

  /** Stops any work for a closed panel. */
  protected stop(): void {
    clearTimeout(this.debounce);
    this.debounce = undefined;
    this.run?.abort();
    this.run = undefined;
  }

  dispose(): void {
    this.stop();
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
