import type * as vscode from 'vscode';
import type { TrainingRunChange, TrainingRunStore } from './trainingRunStore';
import { type PanelExportHandler, WebviewPanelBase } from './webviewPanelBase';

/** What the panel asks of its owner: only onExport (exporting the chart or the steps). */
export type TrainingPanelHandlers = PanelExportHandler;

/**
 * The training panel: loss curves and figures of the current run. The run lives in a
 * TrainingRunStore in the extension, so the panel can be closed, hidden or reloaded mid-training
 * and comes back complete: every new page gets the whole run when it says `ready`, then one point
 * per step as the store receives them.
 */
export class TrainingPanel extends WebviewPanelBase<TrainingPanelHandlers> {
  static readonly viewType = 'neuronLens.training';
  private static instance: TrainingPanel | undefined;

  /** The open panel, if any. */
  static get current(): TrainingPanel | undefined {
    return TrainingPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, store: TrainingRunStore, handlers: TrainingPanelHandlers): TrainingPanel {
    const open = TrainingPanel.instance;
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(TrainingPanel.viewType, 'Neuron Lens Training', extensionUri);
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
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new TrainingPanel(panel, extensionUri, store, handlers);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly store: TrainingRunStore,
    handlers: TrainingPanelHandlers,
  ) {
    super(panel, extensionUri, 'training', 'Neuron Lens Training', handlers);
    TrainingPanel.instance = this;
    this.track(store.onChange((change) => this.forward(change)));
    this.showTitle();
  }

  override dispose(): void {
    if (TrainingPanel.instance === this) TrainingPanel.instance = undefined;
    super.dispose();
  }

  protected override onReady(): void {
    const run = this.store.current;
    if (run) this.post({ type: 'training', run });
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
}
