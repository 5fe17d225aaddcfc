/**
 * One status-bar item: the active model, the neuron shown and the engine's backend, with a
 * spinner while the engine works for the editor. Clicking it opens the neuron picker.
 */
import * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { ModelService } from './modelService';
import { componentTitle, modelName, neuronLabel, neuronShortName } from './neuronLabels';
import type { NeuronSelection } from './neuronSelection';

export class NeuronStatusBarItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('neuronLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private busy = false;
  private activity: string | undefined;

  constructor(
    private readonly models: ModelService,
    private readonly selection: NeuronSelection,
    private readonly engine: EngineClient,
  ) {
    this.item.name = 'Neuron Lens';
    this.item.command = 'neuronLens.highlightActiveFile';
    this.subscriptions.push(
      this.item,
      models.onDidChange(() => this.update()),
      selection.onDidChange(() => this.update()),
      engine.onDidChangeState(() => this.update()),
    );
    this.update();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.update();
  }

  /** A long-running task (training) to show instead of the neuron; undefined when it ends. */
  setActivity(activity: string | undefined): void {
    this.activity = activity;
    this.update();
  }

  private update(): void {
    const model = this.models.model;
    if (!model && !this.activity) {
      this.item.hide();
      return;
    }
    const sel = this.selection.current;
    const backend = this.engine.backend;
    const icon = this.busy || this.activity ? '$(loading~spin)' : '$(pulse)';
    const parts = [model ? modelName(model) : 'Neuron Lens'];
    if (this.activity) parts.push(this.activity);
    else if (sel) parts.push(neuronShortName(sel.layer, sel.component, sel.neuron));
    if (backend) parts.push(backend);
    this.item.text = `${icon} ${parts.join(' · ')}`;

    const lines = [model ? `Model: ${modelName(model)} (${model.description})` : 'No model loaded yet'];
    if (sel) {
      const where = componentTitle({ ...sel, label: sel.componentLabel }, model?.layers.length ?? 1);
      lines.push(`Showing: ${neuronLabel(sel.neuron)} of ${sel.units}, ${where}`);
    }
    lines.push(`Backend: ${backend ?? 'engine not started'}`, 'Click to choose a neuron for the active file');
    const tip = new vscode.MarkdownString('**Neuron Lens**');
    for (const line of lines) {
      tip.appendMarkdown('\n\n');
      tip.appendText(line);
    }
    this.item.tooltip = tip;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
