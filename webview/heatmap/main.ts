import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { type HeatmapData, type RelevanceData, parseToHeatmap } from '../../src/shared/panelMessages';
import { type DivergingColourMap, divergingColourMap } from '../shared/divergingColourMap';
import { fileName, pngExport } from '../shared/exportMessages';
import { formatCount, formatValue } from '../shared/numberFormat';
import { PanelChannel } from '../shared/panelChannel';
import { onThemeChange } from '../shared/themeColours';
import { visibleWhitespace } from '../shared/visibleWhitespace';
import { type ActivationScale, activationScale, quantise } from './activationScale';
import { LEGEND_HEIGHT, drawColourLegend } from './colourLegend';
import { el } from './element';
import { FeatureList, featureLabel } from './featureList';
import { heatmapCsv } from './heatmapCsv';
import { HeatmapImage } from './heatmapImage';
import { type HeatmapTheme, readHeatmapTheme } from './heatmapTheme';
import { HeatmapView, type HoverTarget, type Viewport } from './heatmapView';
import { DEFAULT_STATISTIC, type HeatmapViewState, type NeuronSort, isHeatmapViewState } from './heatmapViewState';
import { indexOrder, neuronVariance, relevanceOrder, varianceOrder } from './neuronOrder';
import { RelevanceView } from './relevanceView';
import { Tooltip, type TooltipLine } from './tooltip';

/**
 * The activation heatmap panel: neurons × tokens of one layer's component, features of interest
 * with their relevance, export. The extension sends data after `ready` (and again whenever the
 * page is recreated); this page keeps only view state (zoom, scroll, sort, features, statistic).
 */

const channel = new PanelChannel<HeatmapViewState>();
const restored = channel.restore(isHeatmapViewState);
let theme: HeatmapTheme = readHeatmapTheme();
let palette: DivergingColourMap = paletteFor(theme);

let data: HeatmapData | undefined;
let scale: ActivationScale | undefined;
let steps: Int16Array | undefined;
let variance: Float64Array | undefined;
let order: Uint32Array = new Uint32Array(0);
let relevance: RelevanceData | undefined;
let selectedNeuron: number | undefined;
let sort: NeuronSort = restored?.sort ?? { kind: 'index' };
let statistic = restored?.statistic ?? DEFAULT_STATISTIC;
/** Zoom and scroll to restore when the first data arrives. */
let pendingViewport: Viewport | undefined = restored && {
  cellWidth: restored.cellWidth,
  cellHeight: restored.cellHeight,
  scrollColumn: restored.scrollColumn,
  scrollRow: restored.scrollRow,
};
/** Features and statistic this page sent and has not yet seen relevance for: a late reply must not undo newer edits. */
let awaitedFeatures: string[] | undefined;
let awaitedStatistic: string | undefined;

function paletteFor(t: HeatmapTheme): DivergingColourMap {
  return divergingColourMap(t.blue, t.background, t.red);
}

// ---- page structure -------------------------------------------------------------------------

const title = el('h1', 'title', 'Activation heatmap');
const subtitle = el('span', 'subtitle');
const sortSelect = el('vscode-single-select');
sortSelect.id = 'sort';
sortSelect.setAttribute('aria-label', 'Order of neuron rows');

function button(id: string, text: string, label: string, onClick: () => void): HTMLElement {
  const b = el('vscode-button', '', text);
  b.id = id;
  b.secondary = true;
  b.title = label;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

const zoomGroup = el('div', 'group');
zoomGroup.setAttribute('role', 'group');
zoomGroup.setAttribute('aria-label', 'Zoom');
zoomGroup.append(
  el('span', 'group-label', 'Tokens'),
  button('zoom-tokens-out', '−', 'Zoom out on tokens (Ctrl+wheel)', () => view.zoomTokens(0.5)),
  button('zoom-tokens-in', '+', 'Zoom in on tokens (Ctrl+wheel)', () => view.zoomTokens(2)),
  el('span', 'group-label', 'Neurons'),
  button('zoom-neurons-out', '−', 'Zoom out on neurons (Ctrl+Shift+wheel)', () => view.zoomNeurons(0.5)),
  button('zoom-neurons-in', '+', 'Zoom in on neurons (Ctrl+Shift+wheel)', () => view.zoomNeurons(2)),
  button('zoom-fit', 'Fit', 'Fit the whole heatmap in the panel', () => view.fit()),
);
const exportGroup = el('div', 'group');
exportGroup.append(
  el('span', 'group-label', 'Export'),
  button('export-png', 'PNG', 'Save the heatmap as shown, with its axes and colour scale, as a PNG image', exportPng),
  button('export-csv', 'CSV', 'Save all values as CSV: one row per token, one column per neuron', exportCsv),
);
const sortGroup = el('div', 'group');
sortGroup.append(el('span', 'group-label', 'Rows'), sortSelect);

const toolbar = el('header', 'toolbar');
const heading = el('div', 'heading');
heading.append(title, subtitle);
toolbar.append(heading, sortGroup, zoomGroup, exportGroup);

const featureList = new FeatureList(restored?.features ?? [], statistic, {
  featuresChange: (features) => {
    awaitedFeatures = features.length ? features : undefined;
    channel.post({ type: 'setFeatures', features });
    if (!features.length) showRelevance(undefined);
    saveSoon();
  },
  statisticChange: (s) => {
    statistic = s;
    // The extension only recomputes (and replies) when there are features.
    awaitedStatistic = featureList.features.length ? s : undefined;
    channel.post({ type: 'setStatistic', statistic: s });
    saveSoon();
  },
});

const banner = el('div', 'banner');
banner.setAttribute('role', 'alert');
banner.hidden = true;
const empty = el('div', 'empty', 'Waiting for activations from Neuron Lens…');

const tooltip = new Tooltip();
const live = el('div', 'visually-hidden');
live.setAttribute('aria-live', 'polite');

const view = new HeatmapView(theme, {
  hover: (target, x, y) => showHover(target, x, y),
  cursor: (cell) =>
    (live.textContent = hoverLines(cell)
      .map((l) => l.text)
      .join(', ')),
  neuronClick: (row) => highlight(order[row]!),
  tokenClick: (column) => {
    if (data) channel.post({ type: 'revealToken', index: data.firstToken + column });
  },
  viewChange: () => saveSoon(),
});

const legend = el('canvas', 'legend');
const legendCaption = el('span', 'legend-caption');
const footer = el('footer', 'heatmap-footer');
footer.append(
  legend,
  legendCaption,
  el('span', 'spacer-flex'),
  el(
    'span',
    'hint',
    'Drag to pan · Ctrl+wheel zooms tokens, Ctrl+Shift+wheel neurons · click a row to highlight its neuron, a token to show it',
  ),
);

const relevanceView = new RelevanceView(theme, palette, {
  neuronClick: (neuron) => highlight(neuron),
  hover: (target, x, y) => {
    if (!target || !relevance) return tooltip.hide();
    const f = relevance.features[target.feature]!;
    tooltip.show(
      [
        { text: featureLabel(f.feature), className: 'tip-token' },
        { text: `neuron ${target.neuron}` },
        { text: `${relevance.statisticLabel}: ${formatValue(f.scores[target.neuron]!)}`, className: 'tip-value' },
        ...(f.pValues && f.qValues && f.significant
          ? [
              {
                text: `p ${formatValue(f.pValues[target.neuron]!)}, q ${formatValue(f.qValues[target.neuron]!)}${f.significant[target.neuron] ? ': significant' : ''}`,
              },
            ]
          : []),
      ],
      x,
      y,
    );
  },
});

const heatmapSection = el('section', 'heatmap');
heatmapSection.append(view.element, empty);
view.element.hidden = true;
document.body.append(toolbar, featureList.element, banner, heatmapSection, footer, relevanceView.element, tooltip.element, live);
footer.hidden = true;

// ---- behaviour ------------------------------------------------------------------------------

function highlight(neuron: number): void {
  selectedNeuron = neuron;
  view.setSelectedNeuron(neuron);
  relevanceView.setSelectedNeuron(neuron);
  channel.post({ type: 'highlightNeuron', neuron });
}

/** What the tooltip (or, for the keyboard cursor, the screen reader) says about a cell, token or neuron. */
function hoverLines(target: HoverTarget): TooltipLine[] {
  if (!data) return [];
  const lines: TooltipLine[] = [];
  if (target.column !== undefined) lines.push({ text: visibleWhitespace(data.tokens[target.column]!), className: 'tip-token' });
  const where = [
    target.column !== undefined ? `token ${data.firstToken + target.column}` : '',
    target.row !== undefined ? `neuron ${order[target.row]}` : '',
  ].filter(Boolean);
  lines.push({ text: where.join(' · ') });
  if (target.column !== undefined && target.row !== undefined) {
    lines.push({ text: `value ${formatValue(data.values[target.column * data.units + order[target.row]!]!)}`, className: 'tip-value' });
  } else if (target.row !== undefined) {
    const n = order[target.row]!;
    variance ??= neuronVariance(data.values, data.units);
    lines.push({ text: `variance ${formatValue(variance[n]!)}` });
    const scores = relevanceFor(sort);
    if (scores && relevance) lines.push({ text: `${relevance.statisticLabel}: ${formatValue(scores[n]!)}` });
    lines.push({ text: 'click to highlight in the editor', className: 'tip-hint' });
  } else {
    lines.push({ text: 'click to show in the editor', className: 'tip-hint' });
  }
  return lines;
}

function showHover(target: HoverTarget | undefined, x: number, y: number): void {
  if (!target || !data) tooltip.hide();
  else tooltip.show(hoverLines(target), x, y);
}

/** Relevance scores behind a sort by relevance, if that feature's scores fit the data shown. */
function relevanceFor(s: NeuronSort): Float32Array | undefined {
  if (s.kind !== 'relevance' || !relevance || !data) return undefined;
  const scores = relevance.features.find((f) => f.feature === s.feature)?.scores;
  return scores && scores.length === data.units ? scores : undefined;
}

function computeOrder(): Uint32Array {
  if (!data) return new Uint32Array(0);
  if (sort.kind === 'variance') return varianceOrder((variance ??= neuronVariance(data.values, data.units)));
  const scores = relevanceFor(sort);
  return scores && relevance ? relevanceOrder(scores, relevance.neutral) : indexOrder(data.units);
}

/** Rebuilds the images after new data, a new order or a new palette; keeps the view where it is. */
function rebuild(): void {
  if (!data || !steps) return;
  order = computeOrder();
  const image = new HeatmapImage(steps, data.tokens.length, data.units, order, palette.pixels);
  view.setContent({ tokens: data.tokens, firstToken: data.firstToken, units: data.units, order, image }, pendingViewport);
  pendingViewport = undefined;
  view.setSelectedNeuron(selectedNeuron);
  drawLegend();
}

function drawLegend(): void {
  if (!scale) return;
  drawColourLegend(legend, palette, scale.ticks, theme);
  legendCaption.textContent = scale.description;
}

function renderSortOptions(): void {
  const options: { value: string; label: string }[] = [
    { value: 'index', label: 'by neuron index' },
    { value: 'variance', label: 'by variance (highest first)' },
    ...(relevance?.features ?? []).map((f) => ({ value: `relevance:${f.feature}`, label: `by relevance to ${featureLabel(f.feature)}` })),
  ];
  sortSelect.replaceChildren(
    ...options.map((o) => {
      const option = el('vscode-option', '', o.label);
      option.value = o.value;
      return option;
    }),
  );
  const wanted = sort.kind === 'relevance' ? `relevance:${sort.feature}` : sort.kind;
  sortSelect.value = options.some((o) => o.value === wanted) ? wanted : 'index';
}

sortSelect.addEventListener('change', () => {
  const value = sortSelect.value;
  sort = value.startsWith('relevance:')
    ? { kind: 'relevance', feature: value.slice('relevance:'.length) }
    : { kind: value === 'variance' ? 'variance' : 'index' };
  rebuild();
  saveSoon();
});

function showHeatmap(d: HeatmapData): void {
  if (d.tokens.length === 0) {
    showError('There are no tokens to show: the text is empty.');
    return;
  }
  banner.hidden = true;
  data = d;
  scale = activationScale(d);
  steps = quantise(d.values, scale);
  variance = undefined;
  selectedNeuron = d.selectedNeuron;
  title.textContent = d.title;
  subtitle.textContent = `layer ${d.layer} · ${d.component} · ${formatCount(d.tokens.length)} tokens × ${formatCount(d.units)} neurons`;
  empty.hidden = true;
  view.element.hidden = false;
  footer.hidden = false;
  if (relevance && relevance.features.some((f) => f.scores.length !== d.units)) showRelevance(undefined);
  rebuild();
  relevanceView.setSelectedNeuron(selectedNeuron);
}

function showRelevance(r: RelevanceData | undefined): void {
  relevance = r;
  if (r) {
    const features = r.features.map((f) => f.feature);
    const answersUs = awaitedFeatures !== undefined && sameList(awaitedFeatures, features);
    if (answersUs) awaitedFeatures = undefined;
    // Relevance not asked for by this page (an experiment file, another command) brings its own features.
    if (awaitedFeatures === undefined && !sameList(features, featureList.features)) featureList.setFeatures(features);
    if (awaitedStatistic === r.statistic) awaitedStatistic = undefined;
    if (awaitedStatistic === undefined) {
      statistic = r.statistic;
      featureList.setStatistic(r.statistic);
    }
  }
  relevanceView.setData(r);
  relevanceView.setSelectedNeuron(selectedNeuron);
  renderSortOptions();
  if (sort.kind === 'relevance') rebuild();
  saveSoon();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function showError(message: string): void {
  banner.textContent = message;
  banner.hidden = false;
}

function exportPng(): void {
  if (!data) return;
  const snapshot = view.snapshot();
  const dpr = window.devicePixelRatio || 1;
  const titleHeight = Math.round(26 * dpr);
  const legendHeight = Math.round((LEGEND_HEIGHT + 8) * dpr);
  const out = document.createElement('canvas');
  // Wide enough for the title and the legend with its caption even when few tokens are shown.
  out.width = Math.max(snapshot.width, Math.round(640 * dpr));
  out.height = titleHeight + snapshot.height + legendHeight;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `${Math.round(13 * dpr)}px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(`${title.textContent ?? ''} — ${subtitle.textContent ?? ''}`, 8 * dpr, titleHeight / 2);
  ctx.drawImage(snapshot, 0, titleHeight);
  ctx.drawImage(legend, 8 * dpr, titleHeight + snapshot.height + 4 * dpr);
  ctx.font = `${Math.round(11 * dpr)}px ${theme.fontFamily}`;
  ctx.fillStyle = theme.muted;
  ctx.fillText(
    legendCaption.textContent ?? '',
    (legend.clientWidth + 20) * dpr,
    titleHeight + snapshot.height + legendHeight / 2 - 4 * dpr,
  );
  channel.post(pngExport(out, fileName(data.title, `layer ${data.layer} ${data.component} heatmap`, 'png'), theme.background));
}

function exportCsv(): void {
  if (data) channel.post(heatmapCsv(data));
}

let saveFrame = 0;
function saveSoon(): void {
  if (saveFrame) return;
  saveFrame = requestAnimationFrame(() => {
    saveFrame = 0;
    const v: Viewport = view.hasContent
      ? view.viewport
      : (pendingViewport ?? { cellWidth: 0, cellHeight: 0, scrollColumn: 0, scrollRow: 0 });
    channel.save({ ...v, sort, features: featureList.features, statistic });
  });
}

onThemeChange(() => {
  theme = readHeatmapTheme();
  palette = paletteFor(theme);
  view.setTheme(theme);
  relevanceView.setTheme(theme, palette);
  rebuild();
});

channel.onMessage(parseToHeatmap, (m) => {
  switch (m.type) {
    case 'heatmap':
      showHeatmap(m.data);
      break;
    case 'relevance':
      // Scores for another layer's neurons (a reply overtaken by new activations) would colour rows that are not there.
      if (!data || m.data.features.every((f) => f.scores.length === data!.units)) showRelevance(m.data);
      break;
    case 'selectNeuron':
      selectedNeuron = m.neuron;
      view.setSelectedNeuron(m.neuron, true);
      relevanceView.setSelectedNeuron(m.neuron);
      break;
    case 'error':
      showError(m.message);
      break;
  }
});
channel.post({ type: 'ready' });
// A reloaded window's extension no longer knows what this view was studying: tell it again.
if (restored) {
  channel.post({ type: 'setStatistic', statistic });
  if (restored.features.length) {
    awaitedFeatures = restored.features;
    channel.post({ type: 'setFeatures', features: restored.features });
  }
}
renderSortOptions();
