import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { SidePanelModel, SidePanelSelection } from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';

/**
 * Layer, component and neuron: what the editor is coloured by. Every change picks a neuron at once
 * (the extension selects it and highlights the studied file); a new layer or component keeps the
 * neuron number when that neuron exists there.
 */
export class NeuronSelectors {
  readonly element: HTMLElement;
  private readonly layer = h('vscode-single-select', { id: 'layer-select', 'aria-label': 'Layer' });
  private readonly layerField: HTMLElement;
  private readonly component = h('vscode-single-select', { id: 'component-select', 'aria-label': 'Component' });
  private readonly neuron = h('vscode-textfield', { id: 'neuron-field', type: 'number', min: 0, 'aria-label': 'Neuron' });
  private readonly units = h('span', { class: 'units' });
  private model: SidePanelModel | undefined;
  /** The component ids the component menu lists (a forward layer has no backward ones). */
  private listed = '';
  /** What the controls show: the selection, or (before one exists) the component being listed. */
  private shown: { layer: number; component: string; neuron?: number } = { layer: 0, component: 'h' };

  constructor(private readonly onPick: (selection: SidePanelSelection) => void) {
    this.layerField = h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Layer'), this.layer);
    this.element = h(
      'div',
      { class: 'selectors' },
      this.layerField,
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Component'), this.component),
      h(
        'label',
        { class: 'field' },
        h('span', { class: 'field-label' }, 'Neuron'),
        h('span', { class: 'neuron-input' }, this.neuron, this.units),
      ),
    );
    this.layer.addEventListener('change', () => this.pickComponent(Number(this.layer.value), this.shown.component));
    this.component.addEventListener('change', () => this.pickComponent(this.shown.layer, this.component.value));
    this.neuron.addEventListener('change', () => this.pickNeuron());
  }

  /** A new model: new options. */
  setModel(model: SidePanelModel): void {
    this.model = model;
    this.layer.replaceChildren(
      ...model.layers.map((units, i) => h('vscode-option', { value: String(i), description: `${units} units` }, `Layer ${i}`)),
    );
    this.listed = '';
    // One layer needs no choice.
    this.layerField.hidden = model.layers.length < 2;
    this.update();
  }

  show(value: { layer: number; component: string; neuron?: number }): void {
    this.shown = value;
    this.update();
  }

  private update(): void {
    const model = this.model;
    if (!model) return;
    const { layer, component, neuron } = this.shown;
    const units = model.layers[layer] ?? 0;
    const offered = this.componentsOf(layer);
    const ids = offered.map((c) => c.id).join(' ');
    if (this.listed !== ids) {
      this.listed = ids;
      this.component.replaceChildren(...offered.map((c) => h('vscode-option', { value: c.id }, `${c.label} (${c.id})`)));
      // The select reads new options when its slot changes, after this task: choose again then.
      requestAnimationFrame(() => (this.component.value = this.shown.component));
    }
    this.layer.value = String(layer);
    this.component.value = component;
    this.neuron.max = Math.max(0, units - 1);
    this.units.textContent = `of ${units}`;
    // Leave the field alone while it is being typed in; its change event commits it.
    if (!this.neuron.matches(':focus-within')) this.neuron.value = neuron === undefined ? '' : String(neuron);
    this.neuron.placeholder = neuron === undefined ? 'pick one' : '';
    this.neuron.invalid = false;
  }

  /** The components of `layer`: all of the model's, less the backward ones on a layer that only reads forwards. */
  private componentsOf(layer: number): { id: string; label: string }[] {
    const model = this.model;
    if (!model) return [];
    const backward = model.backwardLayers?.includes(layer) ?? false;
    return model.components.filter((c) => backward || !c.id.startsWith('backward/'));
  }

  private pickComponent(layer: number, picked: string): void {
    const units = this.model?.layers[layer];
    if (units === undefined) return;
    // Moving from a bidirectional layer's backward component to a forward layer: its forward twin.
    const component = this.componentsOf(layer).some((c) => c.id === picked) ? picked : picked.replace(/^backward\//, '');
    const kept = this.shown.neuron !== undefined && this.shown.neuron < units ? this.shown.neuron : 0;
    this.shown = { layer, component, neuron: kept };
    this.update();
    this.onPick({ layer, component, neuron: kept });
  }

  private pickNeuron(): void {
    const units = this.model?.layers[this.shown.layer] ?? 0;
    const text = this.neuron.value.trim();
    const n = Number(text);
    const ok = text !== '' && Number.isInteger(n) && n >= 0 && n < units;
    this.neuron.invalid = !ok;
    this.neuron.title = ok ? '' : `A neuron number from 0 to ${units - 1}`;
    if (!ok) return;
    this.shown = { ...this.shown, neuron: n };
    this.onPick({ layer: this.shown.layer, component: this.shown.component, neuron: n });
  }
}
