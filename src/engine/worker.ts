import { parentPort } from 'node:worker_threads';
import {
  type HostMessage,
  type MethodName,
  type EngineMethods,
  PROTOCOL_VERSION,
  type WorkerMessage,
  isHostMessage,
} from '../shared/protocol';
import { type BackendChoice, initBackend } from './backend';
import { NeuronLensError, isNeuronLensError } from './errors';
import { loadModel } from './modelFolder';
import { summarizeModel } from './modelSummary';

/**
 * The engine worker: runs tfjs off the extension host's thread. One request at a time is enough
 * for the commands so far; cancel messages abort the matching request's signal.
 */
type Handler<M extends MethodName> = (params: EngineMethods[M]['params'], signal: AbortSignal) => Promise<EngineMethods[M]['result']>;

const handlers: { [M in MethodName]: Handler<M> } = {
  hello: async ({ backend }) => ({ backend: await initBackend(backend as BackendChoice), protocol: PROTOCOL_VERSION }),
  modelInfo: async ({ dir }) => {
    const loaded = await loadModel(dir);
    try {
      return summarizeModel(loaded);
    } finally {
      loaded.model.dispose();
      for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
    }
  },
};

const running = new Map<number, AbortController>();

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

async function handle(message: HostMessage): Promise<void> {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    const handler = handlers[message.method] as Handler<MethodName> | undefined;
    if (!handler) throw new NeuronLensError(`Unknown engine method ${message.method}`);
    const result = await handler(message.params as never, controller.signal);
    post({ type: 'result', id: message.id, result });
  } catch (e) {
    post({
      type: 'error',
      id: message.id,
      message: e instanceof Error ? e.message : String(e),
      code: isNeuronLensError(e) ? e.code : 'internal',
      userError: isNeuronLensError(e),
    });
  } finally {
    running.delete(message.id);
  }
}

if (parentPort) {
  parentPort.on('message', (m: unknown) => {
    if (isHostMessage(m)) void handle(m);
  });
}
