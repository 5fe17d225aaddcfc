import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { SidePanelCommand } from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';

/** How each command the panel offers is labelled (as in the command palette) and explained. */
export const COMMAND_LABELS: Record<SidePanelCommand, { label: string; title: string }> = {
  'neuronLens.trainModel': {
    label: 'Train Model…',
    title: 'Train a new model on the default corpus (Moby-Dick), the active file or workspace files',
  },
  'neuronLens.loadModel': { label: 'Load Model…', title: 'Load a model folder (model.json and weights)' },
  'neuronLens.highlightActiveFile': {
    label: 'Highlight Active File by Neuron…',
    title: 'Choose a layer, component and neuron, described by their statistics on the active file',
  },
  'neuronLens.showHeatmap': {
    label: 'Show Activation Heatmap',
    title: 'All neurons × all tokens of the active file, with features of interest and their relevance',
  },
  'neuronLens.showSpectra': {
    label: 'Show Neuron Spectra',
    title: 'Fourier spectra of neuron activity over the tokens, with peaks and a band of interest',
  },
  'neuronLens.showTrainingCurves': {
    label: 'Show Training Curves',
    title: 'Loss and held-out bits per token of the current or last training run',
  },
  'neuronLens.findNeuronsForSelection': {
    label: 'Find Neurons for Selection',
    title: 'Rank the neurons by how specifically they respond to the text selected in the editor',
  },
  'neuronLens.generateText': {
    label: 'Generate Text…',
    title: 'Sample text from the model after a prime, highlighted with the current neuron',
  },
  'neuronLens.openExperimentFile': {
    label: 'Open Experiment File',
    title: 'Edit the experiment file (features of interest, neurons, band of interest), created with the defaults if missing',
  },
};

/** A button that asks the extension to run one of the allowed commands; `block` ones fill the width. */
export function commandButton(
  command: SidePanelCommand,
  run: (command: SidePanelCommand) => void,
  options: { primary?: boolean; block?: boolean } = {},
): HTMLElement {
  const { label, title } = COMMAND_LABELS[command];
  const button = h('vscode-button', { 'data-command': command, title, secondary: !options.primary, block: options.block }, label);
  button.addEventListener('click', () => run(command));
  return button;
}
