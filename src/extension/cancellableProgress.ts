/**
 * Runs engine work with a progress indicator that can cancel it. A notification for work that
 * ends in a blink only flickers, so it can be delayed: it appears only if the work is still
 * running after `delayMs`.
 */
import * as vscode from 'vscode';
import { EngineError } from './engineClient';

export interface TaskProgress {
  /** `fraction` is the share of the work done so far, in [0, 1]. */
  report(update: { message?: string; fraction?: number }): void;
}

export interface ProgressOptions {
  location?: vscode.ProgressLocation;
  delayMs?: number;
}

export function withCancellableProgress<T>(
  title: string,
  task: (signal: AbortSignal, progress: TaskProgress) => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  const location = options.location ?? vscode.ProgressLocation.Notification;
  const controller = new AbortController();
  let shown: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let message: string | undefined;
  let percent = 0;
  let shownPercent = 0;
  const progress: TaskProgress = {
    report(update) {
      if (update.message !== undefined) message = update.message;
      if (update.fraction !== undefined && Number.isFinite(update.fraction))
        percent = Math.max(percent, Math.min(100, 100 * update.fraction));
      if (!shown) return;
      shown.report({ message, increment: percent - shownPercent });
      shownPercent = percent;
    },
  };
  const running = task(controller.signal, progress);
  let settled = false;
  const settle = () => (settled = true);
  running.then(settle, settle);
  const show = () => {
    if (settled) return;
    void vscode.window.withProgress({ location, title, cancellable: location === vscode.ProgressLocation.Notification }, (p, token) => {
      shown = p;
      p.report({ message, increment: percent });
      shownPercent = percent;
      token.onCancellationRequested(() => controller.abort());
      return running.then(
        () => undefined,
        () => undefined,
      );
    });
  };
  if (!options.delayMs) show();
  else {
    const timer = setTimeout(show, options.delayMs);
    const clear = () => clearTimeout(timer);
    running.then(clear, clear);
  }
  return running;
}

/** The user (or a newer request) cancelled: not an error to show. */
export function isCancellation(e: unknown): boolean {
  return (e instanceof EngineError && e.code === 'cancelled') || e instanceof vscode.CancellationError;
}
