import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import {
  type FromSidePanel,
  type SidePanelCommand,
  type SidePanelModel,
  type SidePanelNeurons,
  type SidePanelSelection,
  type ToSidePanel,
  parseToSidePanel,
} from '../../src/shared/sidePanelMessages';
import { h } from '../shared/createElement';
import { formatCount } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { onThemeChange } from '../shared/themeColours';
import { commandButton } from './commandButtons';
import { FeaturesView } from './featuresView';
import { modelFacts } from './modelFacts';
import { NeuronList } from './neuronList';
import { NeuronSelectors } from './neuronSelectors';
import { NEURON_SORTS, type NeuronSort, type SidePanelViewState, isSidePanelViewState } from './sidePanelViewState';
import { WelcomeView } from './welcomeView';

/**
 * The Neuron Lens side panel: the active model, the neuron shown in the editor, every neuron of
 * its component with a sparkline over the studied file, the experiment's features of interest,
 * and a button for each analysis. The extension sends all data (after `ready`, and again whenever
 * the page is recreated); the page keeps only the list's sort order, and asks the extension for
 * everything it does (select a neuron, run a command).
 */

const channel = new PanelChannel<SidePanelViewState, FromSidePanel, ToSidePanel>();
let viewState: SidePanelViewState = channel.restore(isSidePanelViewState) ?? { sort: 'index' };
let model: SidePanelModel | null = null;
let selection: SidePanelSelection | null = null;
let neurons: SidePanelNeurons | undefined;

const run = (command: SidePanelCommand): void => channel.post({ type: 'runCommand', command });
const pick = (s: SidePanelSelection): void => {
  channel.post({ type: 'selectNeuron', ...s });
  // Shown at once; the extension confirms with a selection message (or corrects it).
  selection = s;
  renderSelection();
};

// ---- page structure -------------------------------------------------------------------------

const welcome = new WelcomeView(run);

const modelName = h('p', { class: 'model-name' });
const facts = h('dl', { class: 'facts' });
const modelSection = h(
  'section',
  { class: 'model', 'aria-labelledby': 'model-title' },
  h('h2', { id: 'model-title' }, 'Model'),
  modelName,
  facts,
  h('div', { class: 'button-row' }, commandButton('neuronLens.trainModel', run), commandButton('neuronLens.loadModel', run)),
);

const selectors = new NeuronSelectors(pick);
const selectorSection = h(
  'section',
  { class: 'neuron', 'aria-labelledby': 'neuron-title' },
  h('h2', { id: 'neuron-title' }, 'Neuron in the editor'),
  selectors.element,
);

const list = new NeuronList(viewState.sort, (neuron) => neurons && pick({ layer: neurons.layer, component: neurons.component, neuron }));
const sortSelect = h(
  'vscode-single-select',
  { id: 'sort-select', 'aria-label': 'Order of the neurons' },
  ...NEURON_SORTS.map((s) => h('vscode-option', { value: s.id }, s.label)),
);
sortSelect.addEventListener('change', () => {
  viewState = { ...viewState, sort: sortSelect.value as NeuronSort };
  channel.save(viewState);
  list.setSort(viewState.sort);
});
const listHeading = h('p', { class: 'list-heading' });
const listStatus = h('p', { class: 'note list-status', role: 'status' });
const progress = h('vscode-progress-bar', { 'aria-label': 'Computing the neurons', hidden: true });
const listBody = h('div', { class: 'list-body', hidden: true }, listHeading, list.element);
const neuronsSection = h(
  'section',
  { class: 'neurons', 'aria-labelledby': 'neurons-title' },
  h('div', { class: 'section-head' }, h('h2', { id: 'neurons-title' }, 'Neurons'), h('label', { class: 'sort' }, 'Sort by', sortSelect)),
  progress,
  listStatus,
  listBody,
);

const features = new FeaturesView(run);
const featuresSection = h(
  'section',
  { class: 'features-section', 'aria-labelledby': 'features-title', hidden: true },
  h('h2', { id: 'features-title' }, 'Features of interest'),
  features.element,
);

const analysisCommands: SidePanelCommand[] = [
  'neuronLens.highlightActiveFile',
  'neuronLens.showHeatmap',
  'neuronLens.showSpectra',
  'neuronLens.showTrainingCurves',
  'neuronLens.findNeuronsForSelection',
  'neuronLens.generateText',
];
const analysesSection = h(
  'section',
  { class: 'analyses', 'aria-labelledby': 'analyses-title' },
  h('h2', { id: 'analyses-title' }, 'Analyses'),
  h('div', { class: 'button-stack' }, ...analysisCommands.map((c) => commandButton(c, run, { block: true }))),
);

const main = h('main', { hidden: true }, modelSection, selectorSection, neuronsSection, featuresSection, analysesSection);
document.body.append(welcome.element, main);

// ---- rendering ------------------------------------------------------------------------------

function renderModel(m: SidePanelModel | null, loading: string | undefined): void {
  model = m;
  welcome.element.hidden = m !== null;
  main.hidden = m === null;
  welcome.setLoading(m ? undefined : loading);
  if (!m) return;
  modelName.textContent = m.name;
  modelName.title = m.dir ?? m.name;
  facts.replaceChildren(...modelFacts(m).flatMap((f) => [h('dt', {}, f.label), h('dd', f.title ? { title: f.title } : {}, f.value)]));
  selectors.setModel(m);
  renderSelection();
}

function componentLabel(id: string): string {
  const c = model?.components.find((x) => x.id === id);
  return c ? `${c.label} (${c.id})` : id;
}

function renderNeurons(d: SidePanelNeurons): void {
  neurons = d;
  progress.hidden = true;
  listStatus.hidden = true;
  listBody.hidden = false;
  listBody.classList.remove('stale');
  const where = model && model.layers.length > 1 ? `, layer ${d.layer}` : '';
  const tokens = `${formatCount(d.tokens)} tokens${d.truncated ? ' (the first of a longer file; setting neuronLens.maxTokens)' : ''}`;
  listHeading.textContent = `${componentLabel(d.component)}${where} on ${d.document} · ${tokens}`;
  list.show(d);
  renderSelection();
}

function renderStatus(message: string, busy: boolean): void {
  progress.hidden = !busy;
  listStatus.hidden = false;
  listStatus.textContent = message;
  if (busy && neurons) {
    // The old list stays readable (and clickable) until the new one arrives.
    listBody.classList.add('stale');
    return;
  }
  if (!busy) {
    neurons = undefined;
    listBody.hidden = true;
  }
}

function renderSelection(): void {
  if (!model) return;
  const listed = neurons ?? { layer: 0, component: model.components[0]?.id ?? 'h' };
  selectors.show(selection ?? { layer: listed.layer, component: listed.component });
  const same = selection && neurons && selection.layer === neurons.layer && selection.component === neurons.component;
  if (same) list.reveal(selection!.neuron);
  list.setSelected(same ? selection!.neuron : undefined);
}

channel.onMessage(parseToSidePanel, (m) => {
  switch (m.type) {
    case 'model':
      renderModel(m.model, m.loading);
      break;
    case 'selection':
      selection = m.selection;
      renderSelection();
      break;
    case 'features':
      featuresSection.hidden = false;
      features.show(m);
      break;
    case 'neurons':
      renderNeurons(m.data);
      break;
    case 'neuronsStatus':
      renderStatus(m.message, m.busy);
      break;
  }
});

onThemeChange(() => list.themeChanged());
sortSelect.value = viewState.sort;
channel.post({ type: 'ready' });
