/**
 * An error caused by what the user asked for (a missing file, a corrupt model folder, an empty
 * text...). Front ends print its message as one line, without a stack trace; any other error is
 * a bug and keeps its stack.
 */
export class NeuronLensError extends Error {
  constructor(
    message: string,
    readonly code: NeuronLensErrorCode = 'invalid-input',
  ) {
    super(message);
    this.name = 'NeuronLensError';
  }
}

export type NeuronLensErrorCode = 'invalid-input' | 'invalid-model' | 'not-found' | 'cancelled' | 'diverged' | 'backend' | 'no-model';

export function isNeuronLensError(e: unknown): e is NeuronLensError {
  return e instanceof NeuronLensError;
}

export class CancelledError extends NeuronLensError {
  constructor(what = 'Operation') {
    super(`${what} cancelled`, 'cancelled');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/** A value from an untrusted file or message, for an error message: short, and safe however deep or large it is. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? `a list of ${v.length}` : typeof v === 'object' ? 'an object' : typeof v;
}
