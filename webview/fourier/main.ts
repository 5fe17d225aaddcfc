import { type SpectraData, parseToFourier } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { fileName, pngExport } from '../shared/exportMessages';
import { formatCount, formatFrequency, formatPeriod, formatValue } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { onThemeChange, readThemeColours } from '../shared/themeColours';
import { type FourierViewState, isFourierViewState } from './fourierState';
import { HeatSurface } from './heatSurface';
import { PeakTable } from './peakTable';
import { RankingList } from './rankingList';
import { spectraCsv } from './spectraCsv';
import { SpectrumChart } from './spectrumChart';
import { SpectrumControls } from './spectrumControls';

/**
 * The Fourier panel: a neurons × frequency heat surface, the ranking of neurons by power in the
 * band of interest, and the selected neuron's spectrum with its peaks. The extension computes
 * everything (spectra, peaks, ranking); this page draws it and reports what the user changes.
 */

const channel = new PanelChannel<FourierViewState>();
let state: FourierViewState = channel.restore(isFourierViewState) ?? { band: [0.4, 0.5], window: 'none', scale: 'power', logColour: false };
let data: SpectraData | undefined;
let theme = readThemeColours();

const title = h('h1', {}, 'Fourier analysis');
const subtitle = h('p', { class: 'subtitle' }, 'Waiting for spectra from the extension…');
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const controls = new SpectrumControls({
  options: (band, window, scale) => {
    state = { ...state, band, window, scale };
    saveAndRender();
    channel.post({ type: 'setSpectrumOptions', band, window, scale });
  },
  log: (on) => {
    state = { ...state, logColour: on };
    saveAndRender();
  },
  exportSurface: () => data && channel.post(pngExport(heatCanvas, fileName(data.title, 'heat surface', 'png'), theme.background)),
  exportSpectrum: () =>
    data && channel.post(pngExport(chartCanvas, fileName(data.title, `neuron ${shownNeuron(data)} spectrum`, 'png'), theme.background)),
  exportCsv: () => data && channel.post(spectraCsv(data)),
});

const heatCanvas = h('canvas', { id: 'heat-surface', tabindex: 0, role: 'img', 'aria-label': 'Heat surface: neurons by frequency' });
const readout = h('p', { class: 'readout' });
const surface = new HeatSurface(heatCanvas, {
  selectRow: (row) => data && select(data.neurons[row]!),
  changeBand: (band, final) => {
    state = { ...state, band };
    saveAndRender();
    if (final) channel.post({ type: 'setSpectrumOptions', band, window: state.window, scale: state.scale });
  },
  hover: (cell) => describeCell(cell),
});
const ranking = new RankingList((neuron) => {
  select(neuron);
  channel.post({ type: 'highlightNeuron', neuron });
});

const spectrumTitle = h('h2');
const highlightButton = h('vscode-button', { secondary: true, title: 'Colour the editor’s text by this neuron' }, 'Highlight in editor');
highlightButton.addEventListener('click', () => {
  if (data) channel.post({ type: 'highlightNeuron', neuron: shownNeuron(data) });
});
const chartCanvas = h('canvas', { id: 'spectrum-chart', role: 'img', 'aria-label': 'Spectrum of the selected neuron' });
const spectrumChart = new SpectrumChart(chartCanvas, theme);
const peakTable = new PeakTable();

const content = h(
  'main',
  { class: 'layout', hidden: true },
  h('section', { class: 'surface' }, heatCanvas, readout),
  ranking.element,
  h(
    'section',
    { class: 'spectrum' },
    h('div', { class: 'spectrum-head' }, spectrumTitle, highlightButton),
    h('div', { class: 'chart-box' }, chartCanvas),
    peakTable.element,
  ),
);
document.body.append(
  h('header', { class: 'toolbar' }, h('div', { class: 'titles' }, title, subtitle), controls.element),
  errorBanner,
  content,
);

// Tests read the chart's data through this; it exposes nothing the page does not already draw.
(window as unknown as { __neuronLensCharts: Record<string, unknown> }).__neuronLensCharts = { spectrum: spectrumChart.chart };

function describeCell(cell: { row: number; bin: number } | undefined): void {
  if (!data || !cell) {
    readout.textContent = 'Hover the surface to read values; click a row to plot that neuron; drag on the strip below it to move the band.';
    return;
  }
  const f = data.frequencies[cell.bin]!;
  const v = data.values[cell.row * data.frequencies.length + cell.bin]!;
  readout.textContent = `neuron ${data.neurons[cell.row]} · ${formatFrequency(f)} cycles/token (every ${formatPeriod(1 / f)} tokens) · ${data.scale} ${formatValue(v)}`;
}

function selectedRow(d: SpectraData): number {
  const row = state.selectedNeuron === undefined ? -1 : d.neurons.indexOf(state.selectedNeuron);
  if (row >= 0) return row;
  const best = d.ranking[0] ? d.neurons.indexOf(d.ranking[0].neuron) : -1;
  return Math.max(0, best);
}

/** The neuron whose spectrum is plotted: the one picked, else the best in the band. */
function shownNeuron(d: SpectraData): number {
  return d.neurons[selectedRow(d)]!;
}

function select(neuron: number): void {
  state = { ...state, selectedNeuron: neuron };
  saveAndRender();
}

function saveAndRender(): void {
  channel.save(state);
  render();
}

function render(): void {
  controls.show(state);
  if (!data) return;
  const d = data;
  const row = selectedRow(d);
  const neuron = d.neurons[row]!;
  title.textContent = d.title;
  subtitle.textContent = `${formatCount(d.tokens)} tokens · ${formatCount(d.neurons.length)} neurons · ${d.scale} spectrum, window ${d.window}`;
  surface.render({ data: d, band: state.band, selectedRow: row, log: state.logColour, theme });
  ranking.render(d, neuron, state.band);
  spectrumTitle.textContent = `Neuron ${neuron}`;
  spectrumChart.show({ data: d, row, band: state.band, log: state.logColour, theme });
  peakTable.render(d, neuron);
}

channel.onMessage(parseToFourier, (m) => {
  switch (m.type) {
    case 'spectra':
      data = m.data;
      errorBanner.hidden = true;
      content.hidden = false;
      // The spectra were computed with these options: they, not what was last typed, describe the picture.
      state = { ...state, band: [...m.data.band], window: m.data.window, scale: m.data.scale };
      saveAndRender();
      describeCell(undefined);
      break;
    case 'selectNeuron':
      if (data?.neurons.includes(m.neuron)) select(m.neuron);
      break;
    case 'error':
      errorBanner.textContent = m.message;
      errorBanner.hidden = false;
      break;
  }
});

// Redraw the canvas at the new width; heights follow from the data, so this cannot feed back on itself.
let drawnWidth = 0;
let pending = 0;
new ResizeObserver(() => {
  if (content.clientWidth === drawnWidth) return;
  drawnWidth = content.clientWidth;
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(render);
}).observe(content);
onThemeChange(() => {
  theme = readThemeColours();
  render();
});

controls.show(state);
channel.post({ type: 'ready' });
