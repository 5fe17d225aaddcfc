import type { RelevanceData } from '../../src/shared/panelMessages';
import { linearTicks } from '../shared/axisTicks';
import { type DivergingColourMap, divergingIndex } from '../shared/divergingColourMap';
import { formatCount, formatValue } from '../shared/numberFormat';
import { withAlpha } from '../shared/themeColours';
import { drawColourLegend } from './colourLegend';
import { el } from './element';
import { featureLabel } from './featureList';
import { fitText } from './fitText';
import type { HeatmapTheme } from './heatmapTheme';

export interface RelevanceViewEvents {
  neuronClick(neuron: number): void;
  hover(target: { feature: number; neuron: number } | undefined, clientX: number, clientY: number): void;
}

const ROW_HEIGHT = 20;
const AXIS_HEIGHT = 20;
const MIN_CELL_WIDTH = 2;
const FONT = 12;

/**
 * Features × neurons relevance heatmap, coloured around the statistic's neutral score (0, or 0.5
 * for AUROC) so that unrelated neurons vanish into the background, and under it the engine's top
 * hypotheses per feature as chips that highlight their neuron in the editor.
 */
export class RelevanceView {
  readonly element = el('section', 'relevance');
  private readonly caption = el('span', 'relevance-statistic');
  private readonly legend = el('canvas', 'legend');
  private readonly legendCaption = el('span', 'legend-caption');
  private readonly scroll = el('div', 'relevance-scroll');
  private readonly canvas = el('canvas', 'relevance-canvas');
  private readonly hypotheses = el('ol', 'hypotheses');
  private data: RelevanceData | undefined;
  private selected: number | undefined;
  private hovered: { feature: number; neuron: number } | undefined;
  private layout = { labelWidth: 0, cellWidth: 0, units: 0 };
  private frame = 0;

  constructor(
    private theme: HeatmapTheme,
    private map: DivergingColourMap,
    private readonly events: RelevanceViewEvents,
  ) {
    const header = el('div', 'relevance-header');
    const title = el('h2', '', 'Relevance to features');
    title.id = 'relevance-title';
    this.element.setAttribute('aria-labelledby', title.id);
    header.append(title, this.caption, el('span', 'spacer-flex'), this.legend, this.legendCaption);
    this.canvas.setAttribute('role', 'img');
    this.scroll.append(this.canvas);
    const hypothesesTitle = el('h3', '', 'Hypotheses: the neurons farthest from neutral, per feature (click to highlight)');
    this.element.append(header, this.scroll, hypothesesTitle, this.hypotheses);
    this.element.hidden = true;
    this.listen();
    new ResizeObserver(() => this.requestDraw()).observe(this.scroll);
  }

  setData(data: RelevanceData | undefined): void {
    this.data = data?.features.length ? data : undefined;
    this.element.hidden = !this.data;
    this.renderHypotheses();
    this.requestDraw();
  }

  setTheme(theme: HeatmapTheme, map: DivergingColourMap): void {
    this.theme = theme;
    this.map = map;
    this.renderHypotheses();
    this.requestDraw();
  }

  setSelectedNeuron(neuron: number | undefined): void {
    this.selected = neuron;
    for (const chip of this.hypotheses.querySelectorAll<HTMLElement>('.neuron-chip')) {
      chip.classList.toggle('selected', Number(chip.dataset.neuron) === neuron);
    }
    this.requestDraw();
  }

  /** Half-width of the colour scale: AUROC is bounded (0.5 either side), the others use the largest deviation shown. */
  private spread(data: RelevanceData): number {
    if (data.statistic === 'auroc') return 0.5;
    let m = 0;
    for (const f of data.features) for (const s of f.scores) if (Number.isFinite(s)) m = Math.max(m, Math.abs(s - data.neutral));
    return m > 0 ? m : 1;
  }

  private requestDraw(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const data = this.data;
    if (!data) return;
    const units = data.features[0]!.scores.length;
    const spread = this.spread(data);
    this.caption.textContent = data.statisticLabel + significanceCaption(data);
    const ticks = linearTicks(data.neutral - spread, data.neutral + spread, 4, formatValue).map((t) => ({
      position: (t.value - data.neutral) / spread,
      label: t.label,
    }));
    drawColourLegend(this.legend, this.map, ticks, this.theme);
    this.legendCaption.textContent = `${formatValue(data.neutral)} = unrelated`;

    const dpr = window.devicePixelRatio || 1;
    const ctx = this.canvas.getContext('2d')!;
    ctx.font = `${FONT}px ${this.theme.monoFamily}`;
    const labels = data.features.map((f) => featureLabel(f.feature));
    const labelWidth = Math.min(180, Math.max(60, ...labels.map((l) => ctx.measureText(l).width))) + 14;
    const available = Math.max(100, this.scroll.clientWidth - labelWidth - 8);
    const cellWidth = Math.max(MIN_CELL_WIDTH, Math.min(24, available / units));
    this.layout = { labelWidth, cellWidth, units };
    const width = Math.ceil(labelWidth + units * cellWidth + 4);
    const height = AXIS_HEIGHT + data.features.length * ROW_HEIGHT + 2;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.setAttribute(
      'aria-label',
      `Relevance of ${units} neurons to ${data.features.length} features; strongest: ` +
        data.features
          .map(
            (f) =>
              `${featureLabel(f.feature)} neuron ${f.top[0]?.neuron ?? 'none'}${f.significant ? `, ${significantCount(f.significant)} significant` : ''}`,
          )
          .join(', '),
    );

    // Cells: one pixel per score, scaled up without smoothing.
    const image = new ImageData(units, data.features.length);
    const pixels = new Uint32Array(image.data.buffer);
    data.features.forEach((f, row) => {
      for (let n = 0; n < units; n++) pixels[row * units + n] = this.map.pixels[divergingIndex((f.scores[n]! - data.neutral) / spread)]!;
    });
    const bitmap = new OffscreenCanvas(units, data.features.length);
    bitmap.getContext('2d')!.putImageData(image, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(
      bitmap,
      Math.round(labelWidth * dpr),
      Math.round(AXIS_HEIGHT * dpr),
      Math.round(units * cellWidth * dpr),
      Math.round(data.features.length * ROW_HEIGHT * dpr),
    );
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.theme.background;
    for (let r = 1; r < data.features.length; r++) ctx.fillRect(labelWidth, AXIS_HEIGHT + r * ROW_HEIGHT - 0.5, units * cellWidth, 1);

    // Feature names on the left, neuron indices along the top.
    ctx.font = `${FONT}px ${this.theme.monoFamily}`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    labels.forEach((label, r) => {
      ctx.fillStyle = this.hovered?.feature === r ? this.theme.foreground : withAlpha(this.theme.foreground, 0.9);
      ctx.fillText(fitText(ctx, label, labelWidth - 14), labelWidth - 8, AXIS_HEIGHT + (r + 0.5) * ROW_HEIGHT);
    });
    ctx.font = `10px ${this.theme.fontFamily}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillStyle = this.theme.muted;
    for (const tick of linearTicks(0, units - 1, Math.max(2, Math.floor((units * cellWidth) / 70)), String)) {
      if (!Number.isInteger(tick.value)) continue;
      const x = labelWidth + (tick.value + 0.5) * cellWidth;
      ctx.fillText(tick.label, x, 2);
      ctx.fillRect(Math.round(x), AXIS_HEIGHT - 5, 1, 4);
    }
    // Significant cells get a dot in the foreground colour, on a background-coloured halo so it
    // reads on any cell colour; at under 4 px per cell a bar under the cell stands in for it.
    data.features.forEach((f, row) => {
      if (!f.significant) return;
      const top = AXIS_HEIGHT + row * ROW_HEIGHT;
      for (let n = 0; n < units; n++) {
        if (!f.significant[n]) continue;
        const x = labelWidth + n * cellWidth;
        if (cellWidth >= 4) {
          const r = Math.min(3, cellWidth / 2 - 0.5);
          ctx.beginPath();
          ctx.arc(x + cellWidth / 2, top + ROW_HEIGHT / 2, r + 1, 0, 2 * Math.PI);
          ctx.fillStyle = this.theme.background;
          ctx.fill();
          ctx.beginPath();
          ctx.arc(x + cellWidth / 2, top + ROW_HEIGHT / 2, r, 0, 2 * Math.PI);
          ctx.fillStyle = this.theme.foreground;
          ctx.fill();
        } else {
          ctx.fillStyle = this.theme.foreground;
          ctx.fillRect(x, top + ROW_HEIGHT - 4, cellWidth, 3);
        }
      }
    });
    const column = (n: number, colour: string, lineWidth: number): void => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = lineWidth;
      ctx.strokeRect(labelWidth + n * cellWidth - 1, AXIS_HEIGHT - 1, cellWidth + 2, data.features.length * ROW_HEIGHT + 2);
    };
    if (this.selected !== undefined && this.selected < units) column(this.selected, this.theme.focus, 2);
    if (this.hovered) {
      ctx.strokeStyle = this.theme.foreground;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(
        labelWidth + this.hovered.neuron * cellWidth - 1,
        AXIS_HEIGHT + this.hovered.feature * ROW_HEIGHT - 1,
        cellWidth + 2,
        ROW_HEIGHT + 2,
      );
    }
  }

  private renderHypotheses(): void {
    const data = this.data;
    if (!data) {
      this.hypotheses.replaceChildren();
      return;
    }
    const spread = this.spread(data);
    const items = data.features.map((f) => {
      const li = el('li', 'hypothesis');
      li.append(
        el('span', 'hypothesis-feature', featureLabel(f.feature)),
        el('span', 'hypothesis-matches', `${formatCount(f.matches)} tokens`),
      );
      if (f.significant && data.significance) {
        const count = significantCount(f.significant);
        li.append(el('span', 'hypothesis-significant', `${formatCount(count)} significant at q ≤ ${formatValue(data.significance.fdr)}`));
      }
      if (!f.top.length) {
        li.append(el('span', 'hypothesis-none', f.matches === 0 ? 'no token matches' : 'every token matches: nothing to compare'));
      }
      for (const { neuron, score } of f.top) {
        const chip = el('button', 'neuron-chip');
        chip.type = 'button';
        chip.dataset.neuron = String(neuron);
        chip.classList.toggle('selected', neuron === this.selected);
        const direction = score >= data.neutral ? 'rises' : 'drops';
        const significant = f.significant?.[neuron] === 1;
        chip.classList.toggle('significant', significant);
        const test = f.pValues
          ? ` Permutation p = ${formatValue(f.pValues[neuron]!)}, Benjamini–Hochberg q = ${formatValue(f.qValues![neuron]!)}: ${significant ? 'significant' : 'not significant'}.`
          : '';
        chip.title = `Neuron ${neuron}: ${data.statisticLabel} = ${formatValue(score)} (${direction} on ${featureLabel(f.feature)}).${test} Click to highlight it in the editor.`;
        const swatch = el('span', 'swatch');
        swatch.style.backgroundColor = this.map.css((score - data.neutral) / spread);
        chip.append(swatch, el('span', 'neuron-chip-id', `n${neuron}`), el('span', 'neuron-chip-score', formatSigned(score, data.neutral)));
        if (f.pValues) chip.append(el('span', 'neuron-chip-p', `${significant ? '● ' : ''}p ${formatP(f.pValues[neuron]!, data)}`));
        chip.addEventListener('click', () => this.events.neuronClick(neuron));
        li.append(chip);
      }
      return li;
    });
    this.hypotheses.replaceChildren(...items);
  }

  private listen(): void {
    const at = (e: MouseEvent): { feature: number; neuron: number } | undefined => {
      const data = this.data;
      if (!data) return undefined;
      const r = this.canvas.getBoundingClientRect();
      const { labelWidth, cellWidth, units } = this.layout;
      const neuron = Math.floor((e.clientX - r.left - labelWidth) / cellWidth);
      const feature = Math.floor((e.clientY - r.top - AXIS_HEIGHT) / ROW_HEIGHT);
      return neuron >= 0 && neuron < units && feature >= 0 && feature < data.features.length ? { feature, neuron } : undefined;
    };
    this.canvas.addEventListener('pointermove', (e) => {
      const target = at(e);
      const changed = target?.feature !== this.hovered?.feature || target?.neuron !== this.hovered?.neuron;
      this.hovered = target;
      this.events.hover(target, e.clientX, e.clientY);
      if (changed) this.requestDraw();
    });
    this.canvas.addEventListener('pointerleave', (e) => {
      this.hovered = undefined;
      this.events.hover(undefined, e.clientX, e.clientY);
      this.requestDraw();
    });
    this.canvas.addEventListener('click', (e) => {
      const target = at(e);
      if (target) this.events.neuronClick(target.neuron);
    });
  }
}

/** Scores relative to neutral read best with their sign (Cohen's d, reference); AUROC is a probability. */
function formatSigned(score: number, neutral: number): string {
  const text = formatValue(score);
  return neutral === 0 && score > 0 ? `+${text}` : text;
}

function significantCount(significant: Uint8Array): number {
  let n = 0;
  for (const s of significant) n += s;
  return n;
}

/** A p-value at the test's floor 1/(N + 1) reads as "<" the next round number above it. */
function formatP(p: number, data: RelevanceData): string {
  const floor = data.significance ? 1 / (data.significance.permutations + 1) : 0;
  return p <= floor * (1 + 1e-6) ? `< ${formatValue(1 / data.significance!.permutations)}` : formatValue(p);
}

/** What the dots mean and how the p-values were drawn. */
function significanceCaption(data: RelevanceData): string {
  const s = data.significance;
  if (!s) return '';
  return (
    ` · ● significant: Benjamini–Hochberg q ≤ ${formatValue(s.fdr)} across neurons, permutation p from ${formatCount(s.permutations)} ` +
    `${s.nullModel === 'circular-shift' ? 'circular shifts' : 'shuffles'} of the feature positions (p < ${formatValue(1 / s.permutations)} at best)`
  );
}
