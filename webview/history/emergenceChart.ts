import { Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import type { HistoryData } from '../../src/shared/panelMessages';
import { applyChartTheme, LINE_CHART_BASE, restyleChart } from '../shared/chartTheme';
import { formatCount } from '../shared/numberFormat';
import type { ThemeColours } from '../shared/themeColours';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

interface XY {
  x: number;
  y: number;
}

/** Dataset labels the page and its tests find the special datasets by. */
export const THRESHOLD_LABEL = '|d| threshold';
export const NEGATIVE_THRESHOLD_LABEL = '−threshold';
export const EMERGENCE_LABEL = 'emerged';
export const SELECTED_LABEL = 'checkpoint shown';

export function featureName(feature: string): string {
  return JSON.stringify(feature);
}

/**
 * Each feature's Cohen's d over the checkpoints, with the threshold |d| must keep (dashed, at ±)
 * and a triangle where each feature's relevance emerged: the first step from which |d| stays
 * above the threshold. A vertical line marks the checkpoint shown in the text above.
 */
export class EmergenceChart {
  readonly chart: Chart<'line', XY[]>;
  private data: HistoryData | undefined;
  private selected = 0;
  private theme: ThemeColours;

  constructor(canvas: HTMLCanvasElement, theme: ThemeColours) {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...LINE_CHART_BASE,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { callback: (v) => formatCount(Number(v)) } },
          y: { type: 'linear', title: { display: true, text: "Cohen's d" } },
        },
        plugins: {
          legend: {
            labels: { usePointStyle: true, filter: (item) => item.text !== NEGATIVE_THRESHOLD_LABEL && item.text !== SELECTED_LABEL },
          },
          tooltip: {
            filter: (item) => item.dataset.label !== NEGATIVE_THRESHOLD_LABEL && item.dataset.label !== SELECTED_LABEL,
            callbacks: {
              title: (items) => `step ${formatCount(items[0]?.parsed.x ?? 0)}`,
              label: (item) => `${item.dataset.label}: ${(item.parsed.y ?? Number.NaN).toFixed(2)}`,
            },
          },
        },
      },
    });
  }

  show(data: HistoryData, selected: number): void {
    this.data = data;
    this.selected = selected;
    this.rebuild();
  }

  select(row: number): void {
    this.selected = row;
    this.rebuild();
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    restyleChart(this.chart, theme);
    this.rebuild();
  }

  private rebuild(): void {
    const d = this.data;
    if (!d) return;
    const t = this.theme;
    const colours = [t.blue, t.orange, t.green, t.purple, t.red];
    const colour = (j: number) => colours[j % colours.length]!;
    const steps = d.rows.map((r) => r.step);
    const first = steps[0]!;
    const last = steps[steps.length - 1]!;
    const all = [d.threshold, -d.threshold, ...d.rows.flatMap((r) => r.d)];
    const [low, high] = [Math.min(...all), Math.max(...all)];
    const margin = 0.05 * (high - low || 1);
    const features = d.features.map((f, j) => ({
      label: `d ${featureName(f.feature)}`,
      data: d.rows.map((r) => ({ x: r.step, y: r.d[j]! })),
      borderColor: colour(j),
      backgroundColor: colour(j),
      borderWidth: 2,
      pointRadius: 3,
    }));
    const threshold = (label: string, y: number) => ({
      label,
      data: [
        { x: first, y },
        { x: last, y },
      ],
      borderColor: t.muted,
      backgroundColor: t.muted,
      borderDash: [6, 4],
      borderWidth: 1,
      pointRadius: 0,
    });
    const emerged = d.features.flatMap((f, j) =>
      f.emergedAt === null ? [] : [{ x: f.emergedAt, y: d.rows[steps.indexOf(f.emergedAt)]!.d[j]!, colour: colour(j) }],
    );
    const shown = d.rows[this.selected]?.step ?? last;
    this.chart.data.datasets = [
      ...features,
      threshold(THRESHOLD_LABEL, d.threshold),
      threshold(NEGATIVE_THRESHOLD_LABEL, -d.threshold),
      {
        label: EMERGENCE_LABEL,
        data: emerged.map(({ x, y }) => ({ x, y })),
        showLine: false,
        pointStyle: 'triangle',
        pointRadius: 8,
        pointHoverRadius: 10,
        borderColor: t.foreground,
        borderWidth: 1,
        backgroundColor: emerged.map((e) => e.colour),
      },
      {
        label: SELECTED_LABEL,
        data: [
          { x: shown, y: low - margin },
          { x: shown, y: high + margin },
        ],
        borderColor: t.focus,
        borderWidth: 1,
        pointRadius: 0,
      },
    ];
    const { x, y } = this.chart.options.scales!;
    x!.min = first;
    x!.max = last;
    y!.min = low - margin;
    y!.max = high + margin;
    this.chart.update('none');
  }
}
