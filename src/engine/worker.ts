import { parentPort } from 'node:worker_threads';
import {
  type EngineMethods,
  type HostMessage,
  type MethodName,
  PROTOCOL_VERSION,
  type Progress,
  type WorkerMessage,
  isHostMessage,
} from '../shared/protocol';
import { type BackendChoice, initBackend } from './backend';
import { EngineSession } from './engineSession';
import { NeuronLensError, isNeuronLensError } from './errors';
import { enableRegexBacktrackingGuard } from './regexBacktrackingGuard';

/**
 * The engine worker: runs tfjs off the extension host's thread. Requests are taken as they come
 * (a cancel must reach a running analysis or training); the session serialises what must not
 * overlap. Cancel messages abort the matching request's signal.
 */
type Handler<M extends MethodName> = (
  params: EngineMethods[M]['params'],
  signal: AbortSignal,
  progress: (p: Progress<M>) => void,
) => Promise<EngineMethods[M]['result']>;

enableRegexBacktrackingGuard();
const session = new EngineSession();

const handlers: { [M in MethodName]: Handler<M> } = {
  hello: async ({ backend }) => ({ backend: await initBackend(backend as BackendChoice), protocol: PROTOCOL_VERSION }),
  modelInfo: (p) => session.modelInfo(p),
  loadModel: (p, signal) => session.loadModel(p, signal),
  saveModel: (p) => session.saveModel(p),
  importLayersModel: (p) => session.importLayersModel(p),
  train: (p, signal, progress) => session.train(p, signal, progress),
  activeModel: () => session.activeModel(),
  analyze: (p, signal) => session.analyze(p, signal),
  neuronValues: (p) => session.neuronValues(p),
  describeNeurons: (p) => session.describeNeurons(p),
  neuronValuesInModel: (p, signal) => session.neuronValuesInModel(p, signal),
  tokenNeurons: (p) => session.tokenNeurons(p),
  rankNeuronsForSelection: (p) => session.rankNeuronsForSelection(p),
  topContexts: (p, signal, progress) => session.topContexts(p, signal, progress),
  saliency: (p) => session.saliency(p),
  intervene: (p, signal) => session.intervene(p, signal),
  searchPattern: (p, signal, progress) => session.searchPattern(p, signal, progress),
  clusterNeurons: (p) => session.clusterNeurons(p),
  classify: (p, signal) => session.classify(p, signal),
  maximize: (p, signal, progress) => session.maximize(p, signal, progress),
  invert: (p, signal, progress) => session.invert(p, signal, progress),
  fool: (p, signal, progress) => session.fool(p, signal, progress),
  trainWordVectors: (p, signal, progress) => session.trainWordVectors(p, signal, progress),
  wordNeighbours: (p) => session.wordNeighbours(p),
  trainClassifier: (p, signal, progress) => session.trainClassifier(p, signal, progress),
  generate: (p, signal) => session.generate(p, signal),
  closeDocument: (p) => session.closeDocument(p),
  componentMatrix: (p) => session.componentMatrix(p),
  relevanceTable: (p) => session.relevanceTable(p),
  spectra: (p) => session.spectra(p),
  neuronHistory: (p, signal, progress) => session.neuronHistory(p, signal, progress),
  readExperiment: (p) => session.readExperiment(p),
  updateExperiment: (p) => session.updateExperiment(p),
  imageModelInfo: (p) => session.imageModelInfo(p),
  imageActivations: (p) => session.imageActivations(p),
  imageMaximize: (p, signal, progress) => session.imageMaximize(p, signal, progress),
  imageSaliency: (p) => session.imageSaliency(p),
  imageFool: (p, signal) => session.imageFool(p, signal),
  imageInvert: (p, signal, progress) => session.imageInvert(p, signal, progress),
  imageDream: (p, signal, progress) => session.imageDream(p, signal, progress),
};

const running = new Map<number, AbortController>();

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

/** The buffers of the typed arrays at the top of a result: moved to the host instead of copied. */
function transferables(result: unknown): ArrayBuffer[] {
  if (typeof result !== 'object' || result === null) return [];
  const buffers = new Set<ArrayBuffer>();
  for (const value of Object.values(result)) {
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
  }
  return [...buffers];
}

async function handle(message: HostMessage): Promise<void> {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  const { id } = message;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const handler = Object.hasOwn(handlers, message.method) ? (handlers[message.method] as Handler<MethodName>) : undefined;
    if (!handler) throw new NeuronLensError(`Unknown engine method ${message.method}`);
    const result = await handler(message.params as never, controller.signal, (p) =>
      post({ type: 'progress', id, message: p.message, fraction: p.fraction, data: p.data }),
    );
    post({ type: 'result', id, result }, transferables(result));
  } catch (e) {
    post({
      type: 'error',
      id,
      message: e instanceof Error ? e.message : String(e),
      code: isNeuronLensError(e) ? e.code : 'internal',
      userError: isNeuronLensError(e),
    });
  } finally {
    running.delete(id);
  }
}

if (parentPort) {
  parentPort.on('message', (m: unknown) => {
    if (isHostMessage(m)) void handle(m);
  });
}
