import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { SidePanelCommand } from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';
import { commandButton } from './commandButtons';

/**
 * What the panel shows before there is a model: what Neuron Lens does, and the two ways to get a
 * model. While the workspace's configured model loads, it says so instead of offering buttons
 * that would start a second load.
 */
export class WelcomeView {
  readonly element: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly loading = h('div', { class: 'loading', role: 'status', hidden: true });

  constructor(run: (command: SidePanelCommand) => void) {
    this.actions = h(
      'div',
      { class: 'welcome-actions' },
      commandButton('neuronLens.trainModel', run, { primary: true, block: true }),
      commandButton('neuronLens.loadModel', run, { block: true }),
    );
    this.element = h(
      'section',
      { class: 'welcome', 'aria-labelledby': 'welcome-title' },
      h('h2', { id: 'welcome-title' }, 'See what a neural network’s neurons do'),
      h(
        'p',
        {},
        'Neuron Lens trains small recurrent language models (RNN, LSTM, GRU) on text and colours every token of a file by the activity of one neuron, so you can watch a neuron track quotes, line ends or the position in a sentence.',
      ),
      h(
        'p',
        {},
        'Heatmaps of all neurons, features of interest that propose neurons, spectra and text generation build on the same model.',
      ),
      this.loading,
      this.actions,
      h(
        'p',
        { class: 'note' },
        'Training on the bundled Moby-Dick takes a few minutes. A model is a folder (model.json and weights), also made by the neuron-lens command line.',
      ),
    );
  }

  /** `model`: the configured model being loaded, if one is. */
  setLoading(model: string | undefined): void {
    this.loading.hidden = model === undefined;
    this.actions.hidden = model !== undefined;
    this.loading.replaceChildren(
      ...(model === undefined ? [] : [h('vscode-progress-bar', { 'aria-label': 'Loading the model' }), h('p', {}, `Loading ${model}…`)]),
    );
  }
}
