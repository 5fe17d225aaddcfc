import '@vscode-elements/elements/dist/vscode-button/index.js';
import { type TrainingRunData, parseToTraining } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { fileName, pngExport } from '../shared/exportMessages';
import { formatCount } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { onThemeChange, readThemeColours } from '../shared/themeColours';
import { LossChart } from './lossChart';
import { RunFigures } from './runFigures';
import { trainingCsv } from './trainingCsv';
import { MAX_SMOOTHING, type TrainingViewState, isTrainingViewState } from './trainingViewState';

/**
 * The training panel: loss curves and run figures of the model being trained. The extension keeps
 * the whole run and resends it whenever this page (re)loads, then streams one point per step.
 */

const channel = new PanelChannel<TrainingViewState>();
let state: TrainingViewState = channel.restore(isTrainingViewState) ?? { smoothing: 0.9 };
let run: TrainingRunData | undefined;
let theme = readThemeColours();

const title = h('h1', {}, 'Training');
const subtitle = h('p', { class: 'subtitle' }, 'Waiting for a training run from the extension…');
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const figures = new RunFigures();

const smoothing = h('input', { type: 'range', id: 'smoothing', min: 0, max: MAX_SMOOTHING, step: 0.01, value: state.smoothing });
const smoothingValue = h('output', { for: 'smoothing' }, state.smoothing.toFixed(2));
smoothing.addEventListener('input', () => {
  state = { smoothing: Math.min(MAX_SMOOTHING, Math.max(0, smoothing.valueAsNumber)) };
  smoothingValue.textContent = state.smoothing.toFixed(2);
  channel.save(state);
  chart.setSmoothing(state.smoothing);
  colourLegend();
});
const exportButton = (label: string, tip: string, action: () => void): HTMLElement => {
  const b = h('vscode-button', { title: tip }, label);
  b.addEventListener('click', action);
  return b;
};
const controls = h(
  'div',
  { class: 'controls' },
  h(
    'label',
    { title: 'Exponential moving average over the per-step training loss (0 = off)' },
    'Smoothing ',
    smoothing,
    ' ',
    smoothingValue,
  ),
  exportButton('PNG', 'Export the loss chart as a PNG image', () => {
    if (run) channel.post(pngExport(chartCanvas, fileName(run.title, 'loss', 'png'), theme.background));
  }),
  exportButton('CSV', 'Export every reported step as CSV', () => {
    if (run) channel.post(trainingCsv(run));
  }),
);

const chartCanvas = h('canvas', { id: 'loss-chart', role: 'img', 'aria-label': 'Training and validation loss by step' });
const chart = new LossChart(chartCanvas, theme, state.smoothing);
const swatch = (label: string): { key: HTMLElement; line: HTMLElement } => {
  const line = h('span', { class: 'swatch' });
  return { key: h('span', { class: 'key' }, line, label), line };
};
const keys = {
  raw: swatch('training, per step'),
  smoothed: swatch('training, smoothed'),
  validation: swatch('validation (held-out 5 %)'),
};
const legend = h('div', { class: 'legend' }, keys.raw.key, keys.smoothed.key, keys.validation.key);
/** The legend takes its colours from the chart's datasets, so the two cannot disagree. */
function colourLegend(): void {
  const [raw, smoothed, validation] = chart.chart.data.datasets;
  keys.raw.line.style.borderTopColor = String(raw!.borderColor);
  keys.smoothed.line.style.borderTopColor = String(smoothed!.borderColor);
  keys.validation.line.style.borderTopColor = String(validation!.borderColor);
  keys.smoothed.key.hidden = state.smoothing === 0;
}
colourLegend();

const content = h(
  'main',
  { class: 'layout', hidden: true },
  figures.header,
  h(
    'div',
    { class: 'chart-row' },
    h('section', { class: 'chart-area' }, legend, h('div', { class: 'chart-box' }, chartCanvas)),
    figures.side,
  ),
);
document.body.append(
  h(
    'header',
    { class: 'toolbar' },
    h('div', { class: 'titles' }, h('div', { class: 'title-line' }, title, figures.stateBadge()), subtitle),
    controls,
  ),
  errorBanner,
  content,
);

// Tests read the chart's data through this; it exposes nothing the page does not already draw.
(window as unknown as { __neuronLensCharts: Record<string, unknown> }).__neuronLensCharts = { loss: chart.chart };

let figuresFrame = 0;
function showFigures(): void {
  cancelAnimationFrame(figuresFrame);
  figuresFrame = requestAnimationFrame(() => run && figures.show(run));
}

channel.onMessage(parseToTraining, (m) => {
  switch (m.type) {
    case 'training':
      run = { ...m.run, points: [...m.run.points] };
      title.textContent = run.title;
      subtitle.textContent = `${formatCount(run.totalSteps)} steps · loss in ${run.unit}; perplexity = 2^loss`;
      errorBanner.hidden = true;
      content.hidden = false;
      chart.reset(run);
      figures.reset(run);
      break;
    case 'trainingPoint': {
      if (!run || m.runId !== run.id) break;
      const last = run.points[run.points.length - 1];
      // A point already contained in a resent run (the page reloaded mid-training) is not added twice.
      if (last && m.point.step <= last.step) break;
      run.points.push(m.point);
      chart.append(m.point);
      figures.note(m.point);
      showFigures();
      break;
    }
    case 'error':
      errorBanner.textContent = m.message;
      errorBanner.hidden = false;
      break;
  }
});

onThemeChange(() => {
  theme = readThemeColours();
  chart.setTheme(theme);
  colourLegend();
});

channel.post({ type: 'ready' });
