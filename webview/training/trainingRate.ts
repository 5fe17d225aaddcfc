import type { TrainingPoint } from '../../src/shared/panelMessages';

/** Points reported in the last RECENT_MS of training time measure the current speed. */
const RECENT_MS = 20_000;

export interface TrainingRate {
  /** Tokens per second over the recent window (validation pauses included, as they will recur). */
  tokensPerSecond: number;
  /** Milliseconds until totalSteps at the recent speed; undefined until there is a speed to go by. */
  remainingMs: number | undefined;
}

/**
 * The recent training speed and the time left. A point's tokensPerSecond is the average since the
 * run (or its resumption) began, so tokensPerSecond × elapsed is the tokens done so far; the
 * difference between a recent point and the latest one gives the current speed, which tracks
 * slowdowns (another program, longer validation) that the run-long average hides. Tokens per step
 * are constant within a run, so the remaining time is remaining steps × (time per step now).
 */
export function trainingRate(points: readonly TrainingPoint[], totalSteps: number): TrainingRate | undefined {
  const last = points[points.length - 1];
  if (!last) return undefined;
  let first = points.length - 1;
  while (first > 0 && last.elapsedMs - points[first - 1]!.elapsedMs <= RECENT_MS) first--;
  if (first === points.length - 1 && first > 0) first--;
  const start = points[first]!;
  const dt = last.elapsedMs - start.elapsedMs;
  const steps = last.step - start.step;
  const remainingSteps = Math.max(0, totalSteps - last.step);
  if (dt > 0 && steps > 0) {
    const tokens = last.tokensPerSecond * last.elapsedMs - start.tokensPerSecond * start.elapsedMs;
    const tokensPerSecond = tokens > 0 ? tokens / dt : last.tokensPerSecond;
    return { tokensPerSecond, remainingMs: (remainingSteps * dt) / steps };
  }
  // A single point: only the run-long average exists.
  return {
    tokensPerSecond: last.tokensPerSecond,
    remainingMs: last.step > 0 && last.elapsedMs > 0 ? (remainingSteps * last.elapsedMs) / last.step : undefined,
  };
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
