/**
 * Keeps the side panel in step with the extension: the active model and engine backend, the
 * selected neuron, the experiment's features of interest, and the neuron list of the document
 * being studied. The neuron list is the only expensive part: it is computed while the view is
 * visible, once per (document version, model, layer, component), after the editor's own work
 * (edits wait for a pause longer than the highlighter's), and abandoned as soon as it is outdated.
 */
import * as vscode from 'vscode';
import type { NeuronRef } from '../neuronSelection';
import type { SidePanelCommand } from '../../shared/sidePanelMessages';
import { isCancellation } from '../cancellableProgress';
import { documentName, prepareText } from '../documentText';
import { componentTitle, modelName } from '../neuronLabels';
import type { Services } from '../services';
import { readSettings } from '../settings';
import type { ExperimentFeatures } from './experimentFeatures';
import { neuronActivity } from './neuronActivity';
import { sidePanelModel } from './sidePanelModel';
import type { SidePanelProvider } from './sidePanelProvider';

/** The engine session the panel analyses in: its own, one for whichever document it shows. */
export const SIDE_PANEL_DOC_ID = 'neuron-lens:side-panel';

/** Added to neuronLens.debounceMs after an edit: the highlighter recolours the visible text first. */
const EDIT_EXTRA_DELAY_MS = 600;

export class SidePanelController implements vscode.Disposable {
  /** What the neuron list shows, and what is being computed: (document, version, model, layer, component, maxTokens). */
  private shownKey: string | undefined;
  private runningKey: string | undefined;
  private abort: AbortController | undefined;
  private editTimer: NodeJS.Timeout | undefined;
  /** The component listed when no neuron is selected yet (or the selection was forgotten). */
  private viewed: Pick<NeuronRef, 'layer' | 'component'> | undefined;
  /** The model of neuronLens.modelPath is being loaded because the panel opened. */
  private loadingConfigured = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly s: Services,
    private readonly view: SidePanelProvider,
    private readonly features: ExperimentFeatures,
  ) {
    this.subscriptions.push(
      s.models.onDidChange(() => {
        this.postModel();
        this.features.refresh();
        this.refreshNeurons();
      }),
      s.selection.onDidChange(() => {
        this.postSelection();
        this.refreshNeurons();
      }),
      s.engine.onDidChangeState((e) => {
        this.postModel();
        if (e.kind === 'started') this.features.refresh();
      }),
      features.onDidChange((f) => this.view.post({ type: 'features', ...f })),
      // The studied document is the active text editor's, or the last one's while a panel has focus (RecentEditor).
      vscode.window.onDidChangeActiveTextEditor(() => this.refreshNeurons()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshNeurons()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== this.s.recentEditor.editor?.document || e.contentChanges.length === 0) return;
        // Whatever is being computed is for a text that no longer exists.
        this.cancelRun();
        clearTimeout(this.editTimer);
        this.editTimer = setTimeout(() => this.refreshNeurons(), readSettings().debounceMs + EDIT_EXTRA_DELAY_MS);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('neuronLens.maxTokens')) this.refreshNeurons();
      }),
    );
    this.postModel();
    this.postSelection();
  }

  /** The view came on screen: show what changed while it was hidden. */
  becameVisible(): void {
    this.postModel();
    this.loadConfiguredModel();
    this.features.refresh();
    this.refreshNeurons();
  }

  /** A neuron picked in the panel: shown everywhere, and the studied document highlighted with it. */
  selectNeuron(ref: NeuronRef): void {
    const model = this.s.models.model;
    const units = model?.layers[ref.layer];
    const component = model?.components.find((c) => c.id === ref.component);
    // A backward component exists only on a layer that reads backwards (a Bidirectional import).
    const onLayer = !ref.component.startsWith('backward/') || (model?.bidirectionalLayers ?? []).includes(ref.layer);
    // The page may be a model behind (a message in flight while another model loads).
    if (units === undefined || !component || !onLayer || ref.neuron >= units) return;
    this.s.selection.set({ ...ref, units, componentLabel: component.label });
    const editor = this.s.recentEditor.editor;
    if (editor && !this.s.highlighter.isHighlighted(editor.document)) this.s.highlighter.highlight(editor.document);
  }

  runCommand(command: SidePanelCommand): void {
    // While a panel has focus there is no active text editor, and some commands work on "the active
    // file": the studied document's editor becomes the active one again first.
    const editor = this.s.recentEditor.editor;
    const focus =
      editor && !vscode.window.activeTextEditor
        ? vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false })
        : Promise.resolve();
    void Promise.resolve(focus)
      .then(() => vscode.commands.executeCommand(command))
      .then(undefined, (e: unknown) => {
        this.s.log.error(`side panel: ${command} failed: ${e instanceof Error ? e.message : String(e)}`);
        void vscode.window.showErrorMessage(`Neuron Lens: ${e instanceof Error ? e.message : String(e)}`);
      });
  }

  private postModel(): void {
    const model = this.s.models.model;
    if (model) {
      this.view.post({ type: 'model', model: sidePanelModel(model, this.s.engine.backend) });
      return;
    }
    const configured = this.s.models.configuredPath();
    const loading = this.loadingConfigured && configured ? modelName({ dir: configured, description: configured }) : undefined;
    this.view.post({ type: 'model', model: null, ...(loading ? { loading } : {}) });
  }

  /** A workspace that names a model (neuronLens.modelPath) gets it when the user opens the panel, as on its first command. */
  private loadConfiguredModel(): void {
    if (this.s.models.model || this.loadingConfigured || !this.s.models.configuredPath()) return;
    this.loadingConfigured = true;
    this.postModel();
    void this.s.models.ensureModel(false).finally(() => {
      this.loadingConfigured = false;
      this.postModel();
    });
  }

  private postSelection(): void {
    const sel = this.s.selection.current;
    this.view.post({ type: 'selection', selection: sel ? { layer: sel.layer, component: sel.component, neuron: sel.neuron } : null });
  }

  /** The component to list: the selected neuron's, else the one listed before, else the first of layer 0. */
  private listedComponent(model: { layers: number[]; components: { id: string; label: string }[] }) {
    const sel = this.s.selection.current;
    const candidates = [sel, this.viewed, { layer: 0, component: model.components[0]?.id ?? 'h' }];
    for (const c of candidates) {
      const component = c && c.layer < model.layers.length ? model.components.find((x) => x.id === c.component) : undefined;
      if (c && component) return { layer: c.layer, component: component.id, label: component.label };
    }
    return undefined;
  }

  private status(message: string, busy: boolean): void {
    if (!busy) this.shownKey = undefined;
    this.view.post({ type: 'neuronsStatus', message, busy });
  }

  private cancelRun(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.runningKey = undefined;
  }

  /** Brings the neuron list up to date, if the view is visible (becameVisible catches up otherwise). */
  private refreshNeurons(): void {
    clearTimeout(this.editTimer);
    if (!this.view.visible) return;
    const model = this.s.models.model;
    if (!model) {
      // The page shows the welcome; the list comes back with a model.
      this.cancelRun();
      this.shownKey = undefined;
      return;
    }
    const document = this.s.recentEditor.editor?.document;
    if (!document) {
      this.cancelRun();
      this.status('Open a text file to see how each neuron of the model responds to it.', false);
      return;
    }
    const ref = this.listedComponent(model);
    if (!ref) return;
    this.viewed = { layer: ref.layer, component: ref.component };
    const { maxTokens } = readSettings();
    const key = [document.uri.toString(), document.version, this.s.models.generation, ref.layer, ref.component, maxTokens].join('|');
    // Switching editors, opening panels and selecting neurons of the same component all land here: most need nothing.
    if (key === this.shownKey || key === this.runningKey) return;
    const name = documentName(document);
    const prepared = prepareText(document.getText(), maxTokens);
    if (prepared.kind === 'binary') {
      this.cancelRun();
      this.status(`${name} looks like a binary file (it contains NUL characters); open a text file.`, false);
      return;
    }
    if (prepared.text.length === 0) {
      this.cancelRun();
      this.status(`${name} is empty: type or paste some text to see its neurons.`, false);
      return;
    }
    this.cancelRun();
    const controller = new AbortController();
    this.abort = controller;
    this.runningKey = key;
    const title = componentTitle(ref, model.layers.length);
    this.status(`Reading ${name} with ${modelName(model)}: ${title}…`, true);
    void this.computeNeurons(
      key,
      {
        docId: SIDE_PANEL_DOC_ID,
        name,
        version: document.version,
        text: prepared.text,
        cut: prepared.cut,
        layer: ref.layer,
        component: ref.component,
        maxTokens,
      },
      controller.signal,
    );
  }

  private async computeNeurons(key: string, input: Parameters<typeof neuronActivity>[1], signal: AbortSignal): Promise<void> {
    try {
      // After a worker restart the model must be loaded into the new worker first.
      if (!(await this.s.models.ensureModel(false)) || signal.aborted) return;
      const data = await neuronActivity((method, params, options) => this.s.engine.request(method, params, options), input, signal);
      if (signal.aborted || this.runningKey !== key) return;
      this.runningKey = undefined;
      // Undefined: another model became active meanwhile; its change event has asked for a new list.
      if (!data) return;
      this.shownKey = key;
      this.view.post({ type: 'neurons', data });
    } catch (e) {
      if (isCancellation(e) || signal.aborted) return;
      if (this.runningKey === key) this.runningKey = undefined;
      const message = e instanceof Error ? e.message : String(e);
      this.s.log.warn(`side panel: neuron list of ${input.name}: ${message}`);
      this.status(`Could not compute the neurons of ${input.name}: ${message}`, false);
    }
  }

  dispose(): void {
    clearTimeout(this.editTimer);
    this.cancelRun();
    for (const d of this.subscriptions.reverse()) d.dispose();
    // Only a running worker holds the session; starting one to close it would load tfjs.
    if (this.s.engine.running) void this.s.engine.request('closeDocument', { docId: SIDE_PANEL_DOC_ID }).catch(() => undefined);
  }
}
