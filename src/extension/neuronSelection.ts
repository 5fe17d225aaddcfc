/**
 * The neuron being shown: one for the whole window, so that every highlighted editor, the hover
 * and the status bar agree, and Next/Previous Neuron step through it everywhere at once.
 */
import * as vscode from 'vscode';
import type { ActiveModel } from './modelService';

export interface NeuronRef {
  layer: number;
  component: string;
  neuron: number;
}

export interface Selection extends NeuronRef {
  componentLabel: string;
  /** Neurons in the layer: the range of `neuron`. */
  units: number;
}

export class NeuronSelection implements vscode.Disposable {
  private value: Selection | undefined;
  private readonly changed = new vscode.EventEmitter<Selection | undefined>();
  readonly onDidChange = this.changed.event;

  get current(): Selection | undefined {
    return this.value;
  }

  set(selection: Selection): void {
    const v = this.value;
    if (
      v &&
      v.layer === selection.layer &&
      v.component === selection.component &&
      v.neuron === selection.neuron &&
      v.units === selection.units
    ) {
      return;
    }
    this.value = selection;
    this.changed.fire(selection);
  }

  /** Moves to the neighbouring neuron, wrapping around the layer. */
  step(delta: number): void {
    const v = this.value;
    if (!v || v.units < 1) return;
    this.set({ ...v, neuron: (((v.neuron + delta) % v.units) + v.units) % v.units });
  }

  /**
   * Keeps the selection when the new model has the same component and enough neurons (a
   * retrained model of the same shape), else forgets it. Returns whether it was kept.
   */
  adaptTo(model: ActiveModel): boolean {
    const v = this.value;
    if (!v) return false;
    const units = model.layers[v.layer];
    const component = model.components.find((c) => c.id === v.component);
    if (units === undefined || !component || v.neuron >= units) {
      this.value = undefined;
      this.changed.fire(undefined);
      return false;
    }
    this.set({ ...v, units, componentLabel: component.label });
    return true;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
