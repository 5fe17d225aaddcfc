import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  type SavedHistory,
  historyNotKept,
  isSavedHistory,
  restoreHistory,
  sameHistory,
  savedHistory,
} from '../../src/shared/historyState';
import { type HistoryData, parseToHistory } from '../../src/shared/panelMessages';
import { activationScale, quantise } from '../heatmap/activationScale';
import { h } from '../shared/createElement';
import { divergingColourMap } from '../shared/divergingColourMap';
import { fileName, pngExport } from '../shared/exportMessages';
import { formatCount, formatValue } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { type ThemeColours, onThemeChange, readThemeColours } from '../shared/themeColours';
import { CheckpointText } from './checkpointText';
import { EmergenceChart, featureName } from './emergenceChart';
import { historyCsv } from './historyCsv';
import { SmallMultiples, type SmallMultiplesColours } from './smallMultiples';

/**
 * The neuron-across-training panel: one neuron on one text at every checkpoint training kept. A
 * slider picks a checkpoint and colours the text by the neuron then; the small multiples show all
 * checkpoints at once on the same scale; the chart follows each feature's Cohen's d over training
 * and marks when its relevance emerged. The extension computes everything; this page draws it and
 * asks the editor to show a clicked token. It keeps the history with setState (see historyState),
 * so a panel restored after a window reload draws it again without the extension recomputing it.
 */

const channel = new PanelChannel<SavedHistory>();
let theme = readThemeColours();
let data: HistoryData | undefined;
/** Palette step of every value (rows × tokens), on one scale for every checkpoint. */
let steps: Int16Array = new Int16Array(0);
let selected = 0;

const multiplesColours = (t: ThemeColours): SmallMultiplesColours => ({
  palette: divergingColourMap(t.blue, t.background, t.red),
  background: t.background,
  foreground: t.foreground,
  focus: t.focus,
  fontFamily: t.fontFamily,
});
let colours = multiplesColours(theme);

const title = h('h1', {}, 'Neuron across training');
const subtitle = h('p', { class: 'subtitle' }, 'Waiting for the neuron’s history from the extension…');
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const exportButton = (label: string, tip: string, run: () => void) => {
  const b = h('vscode-button', { secondary: true, title: tip }, label);
  b.addEventListener('click', run);
  return b;
};
const exports = h(
  'div',
  { class: 'exports' },
  exportButton(
    'Small multiples PNG',
    'Export every checkpoint’s lane as a PNG image',
    () => data && channel.post(pngExport(multiples.canvas, fileName(`${data.title} ${data.label}`, 'history', 'png'), theme.background)),
  ),
  exportButton(
    'Chart PNG',
    'Export the chart of d over training as a PNG image',
    () => data && channel.post(pngExport(chartCanvas, fileName(`${data.title} ${data.label}`, 'emergence', 'png'), theme.background)),
  ),
  exportButton('CSV', 'Export every checkpoint’s value at every token as CSV', () => data && channel.post(historyCsv(data))),
);

const slider = h('input', { type: 'range', id: 'checkpoint', min: 0, max: 0, step: 1, value: 0 });
const stepText = h('output', { id: 'checkpoint-step', for: 'checkpoint' });
slider.addEventListener('input', () => select(slider.valueAsNumber));
const stats = h('p', { class: 'stats', id: 'checkpoint-stats' });
const scaleNote = h('p', { class: 'note', id: 'scale' });
const text = new CheckpointText((token) => channel.post({ type: 'revealToken', index: token }));
const multiples = new SmallMultiples(colours, { select });
const chartCanvas = h('canvas', { id: 'emergence-chart', role: 'img', 'aria-label': "Each feature's Cohen's d over the training steps" });
const chart = new EmergenceChart(chartCanvas, theme);
const chartBox = h('div', { class: 'chart-box' }, chartCanvas);
const emergenceList = h('ul', { class: 'emergence', id: 'emergence' });
const noFeatures = h(
  'p',
  { class: 'note', hidden: true },
  'No features of interest in the experiment file: add some (e.g. " " or "/[.,;]/") to see when the neuron’s relevance to them emerged.',
);

const content = h(
  'main',
  { class: 'layout', hidden: true },
  h(
    'section',
    { class: 'checkpoint-block' },
    h('label', { class: 'slider', for: 'checkpoint' }, 'Checkpoint ', slider, ' ', stepText),
    stats,
    scaleNote,
    text.element,
    h('p', { class: 'note' }, 'Click a token to show it in the editor.'),
  ),
  h('section', { class: 'multiples-block' }, h('h2', {}, 'Every checkpoint, one lane each, on the same colour scale'), multiples.element),
  h(
    'section',
    { class: 'emergence-block' },
    h('h2', {}, 'When the relevance to each feature emerged'),
    noFeatures,
    chartBox,
    emergenceList,
  ),
);
document.body.append(h('header', { class: 'toolbar' }, h('div', {}, title, subtitle), exports), errorBanner, content);
(window as unknown as { __neuronLensCharts: Record<string, unknown> }).__neuronLensCharts = { emergence: chart.chart };

/** What the last row says about one feature, as the CLI says it. */
function emergenceText(d: HistoryData, j: number): string {
  const f = d.features[j]!;
  const n = d.tokens.length;
  const when =
    f.matches === 0 || f.matches === n
      ? `not measurable (${formatCount(f.matches)} of ${formatCount(n)} tokens match)`
      : f.emergedAt === null
        ? `not yet emerged (|d| is not above ${d.threshold} at the last checkpoint)`
        : `emerged at step ${formatCount(f.emergedAt)} (|d| > ${d.threshold} from then on)`;
  return `${featureName(f.feature)}: ${when}`;
}

function select(row: number): void {
  const d = data;
  if (!d || !Number.isInteger(row) || row < 0 || row >= d.rows.length) return;
  selected = row;
  const r = d.rows[row]!;
  const n = d.tokens.length;
  slider.value = String(row);
  const where = `${r.source === 'model' ? 'the final weights' : 'snapshot'} ${row + 1} of ${d.rows.length}`;
  stepText.textContent = `step ${formatCount(r.step)} (${where})`;
  slider.setAttribute('aria-valuetext', `step ${formatCount(r.step)}, ${where}`);
  const parts = [
    r.validationBits === undefined ? 'validation loss not measured' : `validation ${r.validationBits.toFixed(3)} bits/token`,
    `mean ${formatValue(r.mean)}`,
    `std ${formatValue(r.std)}`,
    ...d.features.map((f, j) => `d ${featureName(f.feature)} = ${r.d[j]!.toFixed(2)}`),
  ];
  stats.textContent = parts.join(' · ');
  text.colour(steps.subarray(row * n, (row + 1) * n), d.values.subarray(row * n, (row + 1) * n), colours.palette);
  multiples.select(row);
  chart.select(row);
  save();
}

/** The history's plain copy for setState, made once per history (the selected row changes far more often). */
let saved: SavedHistory | undefined;
function save(): void {
  if (!data) return;
  saved ??= savedHistory(data, selected);
  saved.selected = selected;
  channel.save(saved);
}

/** Shows a history at checkpoint row `row` (by default its latest: what the model does now). */
function show(d: HistoryData, row = d.rows.length - 1): void {
  data = d;
  saved = undefined;
  errorBanner.hidden = true;
  content.hidden = false;
  const scale = activationScale(d);
  steps = quantise(d.values, scale);
  title.textContent = `${d.label} across training`;
  subtitle.textContent = `${d.title} · model ${d.model} · ${formatCount(d.rows.length)} checkpoints · ${formatCount(d.tokens.length)} tokens`;
  scaleNote.textContent = `Colour: ${scale.description}; blue below, red above. The same scale for every checkpoint.`;
  slider.max = String(d.rows.length - 1);
  text.setTokens(d.tokens);
  multiples.show(d, steps, row);
  const hasFeatures = d.features.length > 0;
  noFeatures.hidden = hasFeatures;
  chartBox.hidden = !hasFeatures;
  chart.show(d, row);
  emergenceList.replaceChildren(...d.features.map((_, j) => h('li', {}, emergenceText(d, j))));
  select(row);
}

function showError(message: string): void {
  errorBanner.textContent = message;
  errorBanner.hidden = false;
}

onThemeChange(() => {
  theme = readThemeColours();
  colours = multiplesColours(theme);
  multiples.setColours(colours);
  chart.setTheme(theme);
  select(selected);
});

channel.onMessage(parseToHistory, (m) => {
  // The history this page restored comes again when it says ready: it keeps the checkpoint shown.
  if (m.type === 'history') show(m.data, data && sameHistory(data, m.data) ? selected : undefined);
  else showError(m.message);
});

// A malformed state is ignored: the extension, handed the same state, says what to do.
const state = channel.restore(isSavedHistory);
const restored = state && restoreHistory(state);
if (restored && 'data' in restored) show(restored.data, restored.selected);
else if (restored) showError(historyNotKept(restored));
channel.post({ type: 'ready' });
