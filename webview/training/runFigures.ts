import type { TrainingPoint, TrainingRunData } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { formatCount, formatValue } from '../shared/numberFormat';
import { formatDuration, trainingRate } from './trainingRate';

const STATE_LABEL: Record<TrainingRunData['state'], string> = {
  running: 'Running',
  finished: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

/** A labelled figure whose value is replaced in place as points stream in. */
function figure(label: string, id: string): { element: HTMLElement; value: HTMLElement; detail: HTMLElement } {
  const value = h('dd', { id });
  const detail = h('span', { class: 'detail' });
  const element = h('div', { class: 'figure' }, h('dt', {}, label), value, detail);
  return { element, value, detail };
}

/**
 * The figures over the chart (progress, learning rate, speed, elapsed time, time left, state) and
 * beside it (latest and best losses with their perplexities, 2^bits: the number of equally likely
 * tokens the model is as unsure as).
 */
export class RunFigures {
  readonly header: HTMLElement;
  readonly side: HTMLElement;
  private readonly progress = h('div', { class: 'progress-bar', role: 'progressbar', 'aria-valuemin': 0 }, h('span'));
  private readonly state = h('span', { class: 'state', id: 'run-state' });
  private readonly message = h('p', { class: 'run-message', id: 'run-message', hidden: true });
  private readonly step = figure('Step', 'fig-step');
  private readonly rate = figure('Learning rate', 'fig-lr');
  private readonly speed = figure('Tokens/s', 'fig-speed');
  private readonly elapsed = figure('Elapsed', 'fig-elapsed');
  private readonly eta = figure('Time left', 'fig-eta');
  private readonly train = figure('Training loss', 'fig-train');
  private readonly validation = figure('Validation loss', 'fig-validation');
  private readonly best = figure('Best validation', 'fig-best');
  private bestValidation: { bits: number; step: number } | undefined;
  private lastTrain: TrainingPoint | undefined;
  private lastValidation: TrainingPoint | undefined;

  constructor() {
    this.header = h(
      'div',
      { class: 'run-header' },
      h('dl', { class: 'figures' }, this.step.element, this.rate.element, this.speed.element, this.elapsed.element, this.eta.element),
      this.progress,
      this.message,
    );
    this.side = h('dl', { class: 'side-figures' }, this.train.element, this.validation.element, this.best.element);
  }

  stateBadge(): HTMLElement {
    return this.state;
  }

  /** Everything from scratch: a new run, or the whole run resent. */
  reset(run: TrainingRunData): void {
    this.bestValidation = undefined;
    this.lastTrain = undefined;
    this.lastValidation = undefined;
    for (const p of run.points) this.note(p);
    this.show(run);
  }

  /** Takes in one more point; `show` then displays it (the two are split so a burst of points redraws once). */
  note(p: TrainingPoint): void {
    if (Number.isFinite(p.trainBits)) this.lastTrain = p;
    if (p.validationBits !== undefined && Number.isFinite(p.validationBits)) {
      this.lastValidation = p;
      if (!this.bestValidation || p.validationBits < this.bestValidation.bits)
        this.bestValidation = { bits: p.validationBits, step: p.step };
    }
  }

  show(run: TrainingRunData): void {
    const last = run.points[run.points.length - 1];
    const step = last?.step ?? 0;
    const fraction = run.totalSteps > 0 ? Math.min(1, step / run.totalSteps) : 0;
    this.step.value.textContent = `${formatCount(step)} / ${formatCount(run.totalSteps)}`;
    this.step.detail.textContent = `${Math.floor(fraction * 100)} %`;
    (this.progress.firstChild as HTMLElement).style.width = `${fraction * 100}%`;
    this.progress.setAttribute('aria-valuemax', String(run.totalSteps));
    this.progress.setAttribute('aria-valuenow', String(step));
    this.rate.value.textContent = formatValue(run.learningRate);

    const rate = trainingRate(run.points, run.totalSteps);
    this.speed.value.textContent = rate ? formatCount(rate.tokensPerSecond) : '–';
    this.speed.detail.textContent = rate ? 'last 20 s' : '';
    this.elapsed.value.textContent = last ? formatDuration(last.elapsedMs) : '–';
    if (run.state === 'running') {
      this.eta.value.textContent = rate?.remainingMs !== undefined ? formatDuration(rate.remainingMs) : 'estimating…';
      this.eta.detail.textContent = rate?.remainingMs !== undefined ? `ETA ${clockTime(Date.now() + rate.remainingMs)}` : '';
    } else {
      this.eta.value.textContent = '–';
      this.eta.detail.textContent = '';
    }

    this.state.textContent = STATE_LABEL[run.state];
    this.state.className = `state ${run.state}`;
    this.message.hidden = !run.message;
    this.message.textContent = run.message ?? '';

    this.showLoss(this.train, this.lastTrain?.trainBits, run.unit, this.lastTrain ? `step ${formatCount(this.lastTrain.step)}` : '');
    this.showLoss(
      this.validation,
      this.lastValidation?.validationBits,
      run.unit,
      this.lastValidation ? `step ${formatCount(this.lastValidation.step)}` : '',
    );
    this.showLoss(
      this.best,
      this.bestValidation?.bits,
      run.unit,
      this.bestValidation ? `step ${formatCount(this.bestValidation.step)}` : '',
    );
  }

  private showLoss(f: ReturnType<typeof figure>, bits: number | undefined, unit: string, where: string): void {
    if (bits === undefined) {
      f.value.textContent = '–';
      f.detail.textContent = 'not measured yet';
      return;
    }
    f.value.textContent = `${bits.toFixed(3)} ${unit}`;
    f.detail.textContent = `perplexity ${(2 ** bits).toFixed(2)} · ${where}`;
  }
}

function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}
