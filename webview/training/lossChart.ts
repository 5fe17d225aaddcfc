import { Chart, Decimation, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import type { TrainingPoint, TrainingRunData } from '../../src/shared/panelMessages';
import { applyChartTheme, LINE_CHART_BASE, restyleChart } from '../shared/chartTheme';
import { formatCount } from '../shared/numberFormat';
import { type ThemeColours, withAlpha } from '../shared/themeColours';

// A line chart on linear axes; decimation keeps runs of tens of thousands of steps fast to draw.
Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Decimation);

interface XY {
  x: number;
  y: number;
}

export const DATASET = { training: 0, smoothed: 1, validation: 2 } as const;

/**
 * Training and validation loss against step. The per-step training loss is noisy (one batch
 * each), so an exponential moving average is drawn over it, debiased at the start as in Adam and
 * TensorBoard so the first steps are not pulled towards zero. Points are appended to the arrays
 * chart.js already holds and drawn at most once a frame: nothing is rebuilt while a run streams in.
 */
export class LossChart {
  readonly chart: Chart<'line', XY[]>;
  private training: XY[] = [];
  private smoothed: XY[] = [];
  private validation: XY[] = [];
  private average = 0;
  private weight = 0;
  private smoothing: number;
  private unit = 'bits/token';
  private frame = 0;
  private theme: ThemeColours;

  constructor(canvas: HTMLCanvasElement, theme: ThemeColours, smoothing: number) {
    this.theme = theme;
    this.smoothing = smoothing;
    applyChartTheme(Chart, theme);
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'training (per step)', data: this.training, borderWidth: 1, pointRadius: 0, pointHitRadius: 3 },
          { label: 'training (smoothed)', data: this.smoothed, borderWidth: 2, pointRadius: 0, pointHitRadius: 3 },
          { label: 'validation', data: this.validation, borderWidth: 2, pointRadius: 3, pointHoverRadius: 5 },
        ],
      },
      options: {
        ...LINE_CHART_BASE,
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'step' }, ticks: { callback: (v) => formatCount(Number(v)) } },
          y: { type: 'linear', title: { display: true, text: 'bits/token' } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          tooltip: {
            callbacks: {
              title: (items) => `step ${formatCount(items[0]?.parsed.x ?? 0)}`,
              label: (item) => {
                const bits = item.parsed.y ?? Number.NaN;
                return `${item.dataset.label}: ${bits.toFixed(3)} ${this.unit} · perplexity ${(2 ** bits).toFixed(2)}`;
              },
            },
          },
        },
      },
    });
    this.style();
  }

  /** Replaces everything with the run's points (the panel opened, reopened, or the run ended). */
  reset(run: TrainingRunData): void {
    this.training.length = 0;
    this.smoothed.length = 0;
    this.validation.length = 0;
    this.average = 0;
    this.weight = 0;
    for (const p of run.points) this.push(p);
    this.unit = run.unit;
    const { x, y } = this.chart.options.scales!;
    x!.max = run.totalSteps;
    if (y && 'title' in y && y.title) y.title.text = run.unit;
    this.flush();
  }

  append(point: TrainingPoint): void {
    this.push(point);
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.flush());
  }

  setSmoothing(smoothing: number): void {
    this.smoothing = smoothing;
    const points = this.training.slice();
    this.smoothed.length = 0;
    this.average = 0;
    this.weight = 0;
    for (const p of points) this.smooth(p);
    this.style();
    this.flush();
  }

  setTheme(theme: ThemeColours): void {
    this.theme = theme;
    applyChartTheme(Chart, theme);
    this.style();
    this.chart.update('none');
  }

  private push(p: TrainingPoint): void {
    if (Number.isFinite(p.trainBits)) {
      const point = { x: p.step, y: p.trainBits };
      this.training.push(point);
      this.smooth(point);
    }
    if (p.validationBits !== undefined && Number.isFinite(p.validationBits)) this.validation.push({ x: p.step, y: p.validationBits });
  }

  private smooth(p: XY): void {
    this.average = this.smoothing * this.average + (1 - this.smoothing) * p.y;
    this.weight = this.smoothing * this.weight + (1 - this.smoothing);
    this.smoothed.push({ x: p.x, y: this.average / this.weight });
  }

  private flush(): void {
    cancelAnimationFrame(this.frame);
    this.chart.update('none');
  }

  private style(): void {
    const t = this.theme;
    const [training, smoothed, validation] = this.chart.data.datasets;
    const on = this.smoothing > 0;
    training!.borderColor = on ? withAlpha(t.blue, 0.35) : t.blue;
    training!.backgroundColor = training!.borderColor;
    smoothed!.borderColor = t.blue;
    smoothed!.backgroundColor = t.blue;
    smoothed!.hidden = !on;
    validation!.borderColor = t.orange;
    validation!.backgroundColor = t.orange;
    restyleChart(this.chart, t);
  }
}
