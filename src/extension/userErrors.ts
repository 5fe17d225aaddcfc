/**
 * How failures reach the user: one message for what went wrong, never for a cancellation, and
 * details (stacks of internal errors) in the log rather than in the notification.
 */
import * as vscode from 'vscode';
import { isCancellation } from './cancellableProgress';
import { EngineError } from './engineClient';

export function reportError(log: vscode.LogOutputChannel, e: unknown, doing: string): void {
  if (isCancellation(e)) {
    log.info(`${doing}: cancelled`);
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  const userError = e instanceof EngineError && e.userError;
  if (userError) log.warn(`${doing}: ${message}`);
  else log.error(`${doing}: ${e instanceof Error && e.stack ? e.stack : message}`);
  void vscode.window.showErrorMessage(`Neuron Lens: ${message}`, ...(userError ? [] : ['Show Log'])).then((choice) => {
    if (choice) log.show(true);
  });
}
