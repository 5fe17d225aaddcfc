import '@vscode-elements/elements/dist/vscode-button/index.js';
import { type ComparisonData, parseToComparison } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { divergingColourMap } from '../shared/divergingColourMap';
import { fileName, pngExport } from '../shared/exportMessages';
import { formatCount } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { type ThemeColours, onThemeChange, readThemeColours } from '../shared/themeColours';
import { comparisonCsv } from './comparisonCsv';
import { DisagreementList } from './disagreementList';
import { LaneView } from './laneView';
import { ScatterChart } from './scatterChart';

/**
 * The comparison panel: two neurons on the same text as two colour lanes, a scatter of their
 * values with Pearson and Spearman, and the tokens where they disagree most. The extension
 * computes everything; this page draws it and asks the editor to show a clicked token.
 */

const channel = new PanelChannel<undefined>();
let theme = readThemeColours();
let data: ComparisonData | undefined;

const palette = (t: ThemeColours) => divergingColourMap(t.blue, t.background, t.red);
const reveal = (token: number) => channel.post({ type: 'revealToken', index: token });

const title = h('h1', {}, 'Neuron comparison');
const subtitle = h('p', { class: 'subtitle' }, 'Waiting for the two neurons from the extension…');
const errorBanner = h('div', { class: 'error', role: 'alert', hidden: true });
const exportButton = (label: string, run: () => void) => {
  const b = h('vscode-button', { secondary: true }, label);
  b.addEventListener('click', run);
  return b;
};
const exports = h(
  'div',
  { class: 'exports' },
  exportButton('Lanes PNG', () => data && channel.post(pngExport(lanes.canvas, fileName(data.title, 'lanes', 'png'), theme.background))),
  exportButton(
    'Scatter PNG',
    () => data && channel.post(pngExport(scatterCanvas, fileName(data.title, 'scatter', 'png'), theme.background)),
  ),
  exportButton('CSV', () => data && channel.post(comparisonCsv(data))),
);

const laneLabels = [h('div', { class: 'lane-label', id: 'lane-a-label' }), h('div', { class: 'lane-label', id: 'lane-b-label' })];
const lanes = new LaneView(palette(theme), theme.background, { reveal });
const pearsonText = h('span', { id: 'pearson' });
const spearmanText = h('span', { id: 'spearman' });
const scatterCanvas = h('canvas', { id: 'scatter', role: 'img', 'aria-label': 'Scatter of the two neurons, one point per token' });
const scatter = new ScatterChart(scatterCanvas, theme);
const disagreements = new DisagreementList(reveal);

const content = h(
  'main',
  { class: 'layout', hidden: true },
  h('section', { class: 'lane-block' }, h('div', { class: 'lane-labels' }, ...laneLabels), lanes.element),
  h(
    'section',
    { class: 'scatter-block' },
    h('h2', {}, 'Activations, one point per token'),
    h('p', { class: 'correlations' }, 'Pearson r = ', pearsonText, ' · Spearman ρ = ', spearmanText),
    h('div', { class: 'chart-box' }, scatterCanvas),
  ),
  disagreements.element,
);
document.body.append(h('header', { class: 'toolbar' }, h('div', {}, title, subtitle), exports), errorBanner, content);
(window as unknown as { __neuronLensCharts: Record<string, unknown> }).__neuronLensCharts = { scatter: scatter.chart };

function show(d: ComparisonData): void {
  data = d;
  errorBanner.hidden = true;
  content.hidden = false;
  title.textContent = `${d.a.label} vs ${d.b.label}`;
  subtitle.textContent = `${d.title} · ${formatCount(d.tokens.length)} tokens · Ctrl+wheel over the lanes zooms`;
  laneLabels[0]!.textContent = d.a.label;
  laneLabels[1]!.textContent = d.b.label;
  pearsonText.textContent = d.pearson.toFixed(3);
  spearmanText.textContent = d.spearman.toFixed(3);
  lanes.show(d);
  scatter.show(d);
  disagreements.show(d);
}

onThemeChange(() => {
  theme = readThemeColours();
  lanes.setColours(palette(theme), theme.background);
  scatter.setTheme(theme);
});

channel.onMessage(parseToComparison, (m) => {
  if (m.type === 'comparison') show(m.data);
  else {
    errorBanner.textContent = m.message;
    errorBanner.hidden = false;
  }
});
channel.post({ type: 'ready' });
