/**
 * Messages between the extension host and the engine worker, defined once for both ends. Every
 * request carries an id; the worker answers with progress messages and exactly one result or
 * error for that id. Plain data only (structured clone), never tensors.
 */
import type { ModelSummary } from './modelSummary';

export const PROTOCOL_VERSION = 1;

/** Request methods, their parameters and their results. */
export interface EngineMethods {
  hello: { params: { backend: string }; result: { backend: string; protocol: number } };
  modelInfo: { params: { dir: string }; result: ModelSummary };
}

export type MethodName = keyof EngineMethods;

export type EngineRequest = {
  [M in MethodName]: { type: 'request'; id: number; method: M; params: EngineMethods[M]['params'] };
}[MethodName];

export type HostMessage = EngineRequest | { type: 'cancel'; id: number };

export type WorkerMessage =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string; code: string; userError: boolean }
  | { type: 'progress'; id: number; message?: string; fraction?: number };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as Record<string, unknown>;
  return typeof x.id === 'number' && (x.type === 'result' || x.type === 'error' || x.type === 'progress');
}

export function isHostMessage(m: unknown): m is HostMessage {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as Record<string, unknown>;
  if (typeof x.id !== 'number') return false;
  return x.type === 'cancel' || (x.type === 'request' && typeof x.method === 'string' && typeof x.params === 'object' && x.params !== null);
}
