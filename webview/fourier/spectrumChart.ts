import { Chart, LineController, LineElement, LinearScale, LogarithmicScale, type Plugin, PointElement, Tooltip } from 'chart.js';
import type { SpectraData } from '../../src/shared/panelMessages';
import { applyChartTheme, LINE_CHART_BASE, restyleChart } from '../shared/chartTheme';
import { formatFrequency, formatPeriod, formatValue } from '../shared/numberFormat';
import { type ThemeColours, withAlpha } from '../shared/themeColours';

// Only what a line chart with point markers on linear/log axes needs: the bundle stays small.
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

export interface SpectrumPoint {
  x: number;
  y: number | null;
}

type Peak = SpectraData['peaks'][number]['peaks'][number];

export interface SpectrumChartView {
  data: SpectraData;
  row: number;
  band: [number, number];
  log: boolean;
  theme: ThemeColours;
}

/** Labelled peaks: more than this many labels overlap and say nothing the markers don't. */
const LABELLED_PEAKS = 5;

/**
 * One neuron's spectrum as a line over 0–0.5 cycles/token, its significant peaks (found by the
 * engine) marked and labelled with frequency and period, and the band of interest shaded.
 */
export class SpectrumChart {
  readonly chart: Chart<'line', SpectrumPoint[]>;
  private band: [number, number] = [0, 0.5];
  private peaks: Peak[] = [];
  private theme: ThemeColours;

  constructor(canvas: HTMLCanvasElement, theme: ThemeColours) {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'spectrum', data: [], pointRadius: 0, pointHitRadius: 4, borderWidth: 1.5, tension: 0 },
          // Unclipped, so that a peak at 0.5 (the right edge) shows its whole marker.
          { label: 'peaks', data: [], showLine: false, pointRadius: 5, pointHoverRadius: 7, pointStyle: 'triangle', clip: false },
        ],
      },
      options: {
        ...LINE_CHART_BASE,
        layout: { padding: { top: 30, right: 12 } },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: 0.5,
            title: { display: true, text: 'frequency (cycles per token)' },
            ticks: { callback: (v) => String(Number(Number(v).toFixed(3))) },
          },
          y: {
            type: 'linear',
            beginAtZero: true,
            title: { display: true, text: 'power' },
            ticks: { callback: (v) => formatValue(Number(v)) },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: (items) => {
                const f = items[0]?.parsed.x ?? 0;
                return `${formatFrequency(f)} cycles/token · every ${formatPeriod(1 / f)} tokens`;
              },
              label: (item) => {
                const value = `${this.scaleName()} ${formatValue(item.parsed.y ?? 0)}`;
                if (item.datasetIndex !== 1) return value;
                const peak = this.peaks[item.dataIndex];
                return peak ? `peak: ${value}, ${formatValue(peak.ratio)}× the local noise floor` : value;
              },
            },
          },
        },
      },
      plugins: [this.overlay()],
    });
    this.style();
  }

  private scaleName(): string {
    const y = this.chart.options.scales?.y;
    return y && 'title' in y && y.title ? String(y.title.text) : 'power';
  }

  show(view: SpectrumChartView): void {
    const { data, row, band, log } = view;
    const bins = data.frequencies.length;
    const neuron = data.neurons[row]!;
    const spectrum: SpectrumPoint[] = new Array(bins);
    for (let k = 0; k < bins; k++) {
      const v = data.values[row * bins + k]!;
      // A log axis cannot show zero (the DC bin after mean removal): leave a gap there.
      spectrum[k] = { x: data.frequencies[k]!, y: log && !(v > 0) ? null : v };
    }
    this.peaks = data.peaks.find((p) => p.neuron === neuron)?.peaks ?? [];
    this.band = band;
    const [line, peaks] = this.chart.data.datasets;
    line!.data = spectrum;
    peaks!.data = this.peaks.map((p) => ({ x: p.frequency, y: p.value }));
    const y = this.chart.options.scales!.y!;
    y.type = log ? 'logarithmic' : 'linear';
    if ('title' in y && y.title) y.title.text = data.scale;
    if (view.theme !== this.theme) {
      this.theme = view.theme;
      applyChartTheme(Chart, view.theme);
      this.style();
    }
    this.chart.update();
  }

  private style(): void {
    const t = this.theme;
    const [line, peaks] = this.chart.data.datasets;
    line!.borderColor = t.blue;
    line!.backgroundColor = t.blue;
    peaks!.borderColor = t.red;
    peaks!.backgroundColor = t.red;
    restyleChart(this.chart, t);
  }

  /** Draws the band under the data and the peak labels over it. */
  private overlay(): Plugin<'line'> {
    return {
      id: 'neuronLensSpectrumOverlay',
      beforeDatasetsDraw: (chart) => {
        const { ctx, chartArea: area, scales } = chart;
        const x0 = Math.max(area.left, scales.x!.getPixelForValue(this.band[0]));
        const x1 = Math.min(area.right, scales.x!.getPixelForValue(this.band[1]));
        ctx.save();
        ctx.fillStyle = withAlpha(this.theme.focus, 0.16);
        ctx.fillRect(x0, area.top, Math.max(1, x1 - x0), area.bottom - area.top);
        ctx.strokeStyle = this.theme.focus;
        ctx.setLineDash([5, 3]);
        ctx.lineWidth = 1;
        for (const x of [x0, x1]) {
          ctx.beginPath();
          ctx.moveTo(x, area.top);
          ctx.lineTo(x, area.bottom);
          ctx.stroke();
        }
        ctx.setLineDash([]);
        ctx.fillStyle = this.theme.muted;
        ctx.textAlign = x0 > area.left + 40 ? 'right' : 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText('band', x0 > area.left + 40 ? x0 - 4 : x1 + 4, area.bottom - 4);
        ctx.restore();
      },
      afterDatasetsDraw: (chart) => {
        const { ctx, chartArea: area } = chart;
        const meta = chart.getDatasetMeta(1);
        const placed: { x0: number; x1: number; y0: number; y1: number }[] = [];
        ctx.save();
        ctx.font = `${Math.max(11, this.theme.fontSize - 1)}px ${this.theme.fontFamily}`;
        ctx.textBaseline = 'bottom';
        ctx.textAlign = 'left';
        const lineHeight = Math.max(11, this.theme.fontSize - 1) + 3;
        this.peaks.slice(0, LABELLED_PEAKS).forEach((peak, i) => {
          const point = meta.data[i];
          if (!point) return;
          const text = `${formatFrequency(peak.frequency)} · every ${formatPeriod(peak.period)} tokens`;
          const width = ctx.measureText(text).width;
          const x = Math.min(area.right - width, Math.max(area.left, point.x - width / 2));
          // Move a label up past the ones already placed rather than draw text over text.
          let y = Math.max(area.top - 24 + lineHeight, point.y - 8);
          for (const r of placed) if (x < r.x1 && x + width > r.x0 && y > r.y0 && y - lineHeight < r.y1) y = r.y0 - 2;
          if (y - lineHeight < 0) return;
          placed.push({ x0: x, x1: x + width, y0: y - lineHeight, y1: y });
          ctx.fillStyle = withAlpha(this.theme.background, 0.8);
          ctx.fillRect(x - 2, y - lineHeight + 1, width + 4, lineHeight);
          ctx.fillStyle = this.theme.red;
          ctx.fillText(text, x, y);
        });
        ctx.restore();
      },
    };
  }
}
