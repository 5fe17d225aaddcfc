import { parseArgs } from 'node:util';
import { NeuronLensError } from '../engine/errors';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }>;

export const COMMON_OPTIONS = {
  backend: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parses argv strictly: an unknown flag or a missing value is a one-line error. */
export function parse(argv: string[], options: OptionSpec): Values {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    throw new NeuronLensError((e as Error).message.replace(/\. To specify.*$/s, ''));
  }
}

export function str(v: Values, name: string, fallback?: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : fallback;
}

/** A repeatable option's values (`--feature " " --feature .`). */
export function list(v: Values, name: string): string[] {
  const x = v[name];
  return Array.isArray(x) ? x : typeof x === 'string' ? [x] : [];
}

export function required(v: Values, name: string, why = ''): string {
  const x = str(v, name);
  if (x === undefined || x === '') throw new NeuronLensError(`--${name} is required${why ? ` (${why})` : ''}`);
  return x;
}

export function num(
  v: Values,
  name: string,
  fallback?: number,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const x = str(v, name);
  if (x === undefined) return fallback;
  const n = Number(x);
  if (x.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n))) {
    throw new NeuronLensError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}, not "${x}"`);
  }
  if (opts.min !== undefined && n < opts.min) throw new NeuronLensError(`--${name} must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new NeuronLensError(`--${name} must be at most ${opts.max}`);
  return n;
}

export function oneOf<T extends string>(v: Values, name: string, allowed: readonly T[], fallback: T): T {
  const x = str(v, name);
  if (x === undefined) return fallback;
  if (!allowed.includes(x as T)) throw new NeuronLensError(`--${name} must be one of ${allowed.join(', ')}, not "${x}"`);
  return x as T;
}
