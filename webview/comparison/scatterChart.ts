import { Chart, LinearScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { ComparisonData } from '../../src/shared/panelMessages';
import { applyChartTheme, restyleChart } from '../shared/chartTheme';
import { formatValue } from '../shared/numberFormat';
import { type ThemeColours, withAlpha } from '../shared/themeColours';
import { visibleWhitespace } from '../shared/visibleWhitespace';

Chart.register(ScatterController, PointElement, LinearScale, Tooltip);

interface TokenPoint {
  x: number;
  y: number;
  token: number;
}

/**
 * Point opacity for `n` points: a few hundred points are drawn solid, many thousands faint, so
 * that where they pile up reads as density instead of one solid blot.
 */
export function pointAlpha(n: number): number {
  return Math.min(0.9, Math.max(0.04, 12 / Math.sqrt(Math.max(1, n))));
}

/** One point per token: the first neuron's value across, the second's up. */
export class ScatterChart {
  readonly chart: Chart<'scatter', TokenPoint[]>;
  private data: ComparisonData | undefined;
  private theme: ThemeColours;

  constructor(canvas: HTMLCanvasElement, theme: ThemeColours) {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    this.chart = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: [{ label: 'tokens', data: [], pointRadius: 2.5, pointHoverRadius: 4, borderWidth: 0 }] },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: '' }, ticks: { callback: (v) => formatValue(Number(v)) } },
          y: { type: 'linear', title: { display: true, text: '' }, ticks: { callback: (v) => formatValue(Number(v)) } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items) => {
                const p = items[0]?.raw as TokenPoint | undefined;
                return p && this.data ? `token ${p.token}: ${visibleWhitespace(this.data.tokens[p.token]!)}` : '';
              },
              label: (item) => `${formatValue(item.parsed.x ?? 0)}, ${formatValue(item.parsed.y ?? 0)}`,
            },
          },
        },
      },
    });
  }

  show(data: ComparisonData): void {
    this.data = data;
    const points = Array.from(data.a.values, (x, token) => ({ x, y: data.b.values[token]!, token }));
    const dataset = this.chart.data.datasets[0]!;
    dataset.data = points;
    dataset.backgroundColor = withAlpha(this.theme.purple, pointAlpha(points.length));
    const scales = this.chart.options.scales!;
    (scales.x!.title as { text: string }).text = data.a.label;
    (scales.y!.title as { text: string }).text = data.b.label;
    this.chart.update();
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    restyleChart(this.chart, theme);
    if (this.data) this.show(this.data);
    else this.chart.update();
  }
}
