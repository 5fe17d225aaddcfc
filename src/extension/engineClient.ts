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
  /** The worker the request went to: only its exit fails the request. */
  worker: Worker;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: (p: Progress<MethodName>) => void;
}

export interface RequestOptions<M extends MethodName = MethodName> {
  signal?: AbortSignal;
  onProgress?: (p: Progress<M>) => void;
}

/** The worker's life: whatever it held (the active model, document caches) is gone when it stops. */
export type EngineEvent = { kind: 'started'; backend: string } | { kind: 'stopped' };

/**
 * Owns the engine worker: starts it on the first request (so activating the extension never
 * loads tfjs), forwards cancellation, and if the worker dies fails the requests in flight with
 * one clear error and starts a fresh worker on the next request.
 */
export class EngineClient {
  private worker: Worker | undefined;
  /** Settles when the current worker has answered `hello`; requests wait for it. */
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private backendInUse: string | undefined;

  /**
   * @param workerExecArgv the worker's Node flags; by default it inherits the host's. The bench
   *   passes [] because it runs under tsx, whose loader would slow every worker start it measures.
   */
  constructor(
    private readonly workerPath: string,
    private readonly backendSetting: () => string,
    private readonly log: (line: string) => void = () => undefined,
    private readonly workerExecArgv?: string[],
  ) {}

  async request<M extends MethodName>(
    method: M,
    params: EngineMethods[M]['params'],
    options: RequestOptions<M> = {},
  ): Promise<EngineMethods[M]['result']> {
    if (method !== 'hello') {
      // Requests made while the worker starts wait for its backend, instead of racing `hello`.
      if (!this.worker || !this.ready) this.ready = this.start();
      await this.ready;
    }
    return this.send(method, params, options);
  }

  /** Hears when a worker starts (with its backend) and stops. */
  onDidChangeState(listener: (e: EngineEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The backend of the running worker (`wasm`, `cpu`, `tensorflow`), once it has started. */
  get backend(): string | undefined {
    return this.backendInUse;
  }

  private emit(e: EngineEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  private async start(): Promise<void> {
    const worker = new Worker(this.workerPath, this.workerExecArgv ? { execArgv: this.workerExecArgv } : {});
    this.worker = worker;
    worker.on('message', (m: unknown) => this.receive(m));
    worker.on('error', (e) => this.log(`engine worker error: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.forget();
      const error = new EngineError(
        `The Neuron Lens engine stopped unexpectedly (exit code ${code}); it restarts on the next request`,
        'crashed',
        false,
      );
      for (const [id, p] of this.pending) {
        if (p.worker !== worker) continue;
        this.pending.delete(id);
        p.reject(error);
      }
      this.log(`engine worker exited with code ${code}`);
    });
    try {
      const hello = await this.send('hello', { backend: this.backendSetting() }, {});
      this.backendInUse = hello.backend;
      this.log(`engine worker started on the ${hello.backend} backend`);
      this.emit({ kind: 'started', backend: hello.backend });
    } catch (e) {
      // A worker whose backend failed is useless; the next request starts a fresh one.
      if (this.worker === worker) this.forget();
      void worker.terminate();
      throw e;
    }
  }

  /** Drops the current worker (stopped or being stopped) and tells the listeners once. */
  private forget(): void {
    const had = this.worker !== undefined;
    this.worker = undefined;
    this.ready = undefined;
    this.backendInUse = undefined;
    if (had) this.emit({ kind: 'stopped' });
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
      const onAbort = () => this.post({ type: 'cancel', id });
      // Callers reuse signals across requests: a settled request must not keep its listener.
      const settle = () => options.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        worker,
        resolve: (v) => {
          settle();
          resolve(v as EngineMethods[M]['result']);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        onProgress: options.onProgress as Pending['onProgress'],
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.post({ type: 'request', id, method, params } as HostMessage);
    });
  }

  private post(message: HostMessage): void {
    const target = message.type === 'cancel' ? this.pending.get(message.id)?.worker : this.worker;
    target?.postMessage(message);
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
    const worker = this.worker;
    this.forget();
    void worker?.terminate();
  }
}
