/**
 * What the training notification says, and how often: the worker reports every step, but a
 * notification redrawn hundreds of times a second is unreadable and costs the host work.
 */
import type { TrainProgressData } from '../shared/protocol';

export function trainingMessage(p: TrainProgressData, level: string): string {
  const unit = level === 'char' ? 'bits/char' : 'bits/token';
  const validation =
    p.validationBits !== undefined && Number.isFinite(p.validationBits) ? ` (validation ${p.validationBits.toFixed(2)})` : '';
  const speed = Number.isFinite(p.tokensPerSecond) ? ` · ${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s` : '';
  return `step ${p.step}/${p.totalSteps} · loss ${p.trainBits.toFixed(2)} ${unit}${validation}${speed}`;
}

/** Lets a call through at most once per interval; the last call before the end is never lost because callers flush. */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  ready(): boolean {
    const t = this.now();
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}
