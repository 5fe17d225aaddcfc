import { Worker } from 'node:worker_threads';
import {
  type EngineMethods,
  type HostMessage,
  type MethodName,
  type Progress,
  type WorkerMessage,
  isWorkerMessage,
} from '../shared/protocol';

/** An engine failure as the user should see it: `userError` ones are the user's to fix. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly userError: boolean,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (p: Progress<MethodName>) => void;
}

export interface RequestOptions<M extends MethodName = MethodName> {
  signal?: AbortSignal;
  onProgress?: (p: Progress<M>) => void;
}

/**
 * Owns the engine worker: starts it on the first request (so activating the extension never
 * loads tfjs), forwards cancellation, and if the worker dies fails the requests in flight with
 * one clear error and starts a fresh worker on the next request.
 */
export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly workerPath: string,
    private readonly backend: () => string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async request<M extends MethodName>(
    method: M,
    params: EngineMethods[M]['params'],
    options: RequestOptions<M> = {},
  ): Promise<EngineMethods[M]['result']> {
    if (method !== 'hello' && !this.worker) await this.start();
    return this.send(method, params, options);
  }

  private async start(): Promise<void> {
    const worker = new Worker(this.workerPath);
    this.worker = worker;
    worker.on('message', (m: unknown) => this.receive(m));
    worker.on('error', (e) => this.log(`engine worker error: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size > 0) {
        const error = new EngineError(
          `The Neuron Lens engine stopped unexpectedly (exit code ${code}); it restarts on the next request`,
          'crashed',
          false,
        );
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      }
      this.log(`engine worker exited with code ${code}`);
    });
    const hello = await this.send('hello', { backend: this.backend() }, {});
    this.log(`engine worker started on the ${hello.backend} backend`);
  }

  private send<M extends MethodName>(
    method: M,
    params: EngineMethods[M]['params'],
    options: RequestOptions<M>,
  ): Promise<EngineMethods[M]['result']> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new EngineError('The engine worker is not running', 'crashed', false));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new EngineError(`${method} cancelled`, 'cancelled', true));
        return;
      }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress as Pending['onProgress'] });
      options.signal?.addEventListener('abort', () => this.post({ type: 'cancel', id }), { once: true });
      this.post({ type: 'request', id, method, params } as HostMessage);
    });
  }

  private post(message: HostMessage): void {
    this.worker?.postMessage(message);
  }

  private receive(m: unknown): void {
    if (!isWorkerMessage(m)) {
      this.log(`ignored a malformed message from the engine worker`);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    const message: WorkerMessage = m;
    if (message.type === 'progress') {
      p.onProgress?.({ message: message.message, fraction: message.fraction, data: message.data as never });
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') p.resolve(message.result);
    else p.reject(new EngineError(message.message, message.code, message.userError));
  }

  /** For tests and crash recovery: kills the worker as a crash would. */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
