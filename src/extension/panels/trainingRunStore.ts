import { randomUUID } from 'node:crypto';
import type { TrainingPoint, TrainingRunData } from '../../shared/panelMessages';
import type { TrainProgressData } from '../../shared/protocol';

export type TrainingRunChange = { kind: 'run'; run: TrainingRunData } | { kind: 'point'; runId: string; point: TrainingPoint };

export interface TrainingRunStart {
  title: string;
  /** 'bits/char' for character models, 'bits/token' for word models. */
  unit: string;
  totalSteps: number;
  learningRate: number;
}

/**
 * The current training run, kept in the extension for as long as the extension runs: a webview
 * forgets everything when its panel is closed or hidden, so the training panel must be able to
 * get the whole run back at any moment, mid-training included. The caller feeds it the worker's
 * progress; panels listen for changes.
 */
export class TrainingRunStore {
  private run: TrainingRunData | undefined;
  private lastValidation: number | undefined;
  private readonly listeners = new Set<(change: TrainingRunChange) => void>();

  /** The run so far (the same object the store appends to: post it or copy it, don't change it). */
  get current(): TrainingRunData | undefined {
    return this.run;
  }

  start(info: TrainingRunStart): TrainingRunData {
    this.run = { id: randomUUID(), ...info, state: 'running', points: [] };
    this.lastValidation = undefined;
    this.emit({ kind: 'run', run: this.run });
    return this.run;
  }

  /**
   * One step's progress. The worker repeats the last validation loss on every step until the next
   * evaluation, so a validation value is recorded only on the step where it changed: that is the
   * step it was measured (two evaluations giving bit-identical losses would merge, harmlessly).
   */
  add(progress: TrainProgressData): void {
    const run = this.run;
    if (!run || run.state !== 'running' || !Number.isFinite(progress.step)) return;
    const last = run.points[run.points.length - 1];
    if (last && progress.step <= last.step) return;
    const measured =
      progress.validationBits !== undefined && Number.isFinite(progress.validationBits) && progress.validationBits !== this.lastValidation;
    this.lastValidation = progress.validationBits;
    const point: TrainingPoint = {
      step: progress.step,
      trainBits: progress.trainBits,
      ...(measured ? { validationBits: progress.validationBits } : {}),
      tokensPerSecond: progress.tokensPerSecond,
      elapsedMs: progress.elapsedMs,
    };
    run.points.push(point);
    if (progress.totalSteps !== run.totalSteps && progress.totalSteps > 0) {
      run.totalSteps = progress.totalSteps;
      this.emit({ kind: 'run', run });
      return;
    }
    this.emit({ kind: 'point', runId: run.id, point });
  }

  /** The run ended; `message` says why when it was cancelled or failed. */
  end(state: Exclude<TrainingRunData['state'], 'running'>, message?: string): void {
    const run = this.run;
    if (!run || run.state !== 'running') return;
    run.state = state;
    if (message) run.message = message;
    this.emit({ kind: 'run', run });
  }

  onChange(listener: (change: TrainingRunChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(change: TrainingRunChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
