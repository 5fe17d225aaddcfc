import { NeuronLensError } from './errors';

/**
 * Checks of request parameters that arrive from another thread (or another version of the
 * extension): the types promise more than a structured clone guarantees, and a wrong value must
 * become a message naming the parameter rather than a NaN deep inside a computation.
 */
export function requireInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const bounds = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > Number.MIN_SAFE_INTEGER ? ` ≥ ${min}` : '';
    throw new NeuronLensError(`${name} must be an integer${bounds} (got ${describe(value)})`);
  }
  return value;
}

export function requireNumber(value: unknown, name: string, min: number, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const bounds = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new NeuronLensError(`${name} must be a number ${bounds} (got ${describe(value)})`);
  }
  return value;
}

export function requireString(value: unknown, name: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') throw new NeuronLensError(`${name} must be a string (got ${describe(value)})`);
  if (options.nonEmpty && value.length === 0) throw new NeuronLensError(`${name} must not be empty`);
  return value;
}

export function requireOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new NeuronLensError(`${name} must be one of ${allowed.join(', ')} (got ${describe(value)})`);
  return value as T;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
