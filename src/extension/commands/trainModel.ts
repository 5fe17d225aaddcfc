/**
 * Train Model…: five short choices (corpus, architecture, token level, size, steps), then training
 * in the engine worker with the loss in a cancellable notification. The model is saved in the
 * workspace's models folder, becomes the active model and the workspace's `neuronLens.modelPath`.
 * Cancelling keeps the last checkpoint and loads it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CorpusSource, TrainParams, TrainProgressData } from '../../shared/protocol';
import { isCancellation, withCancellableProgress } from '../cancellableProgress';
import { documentName } from '../documentText';
import { EventLoopMonitor } from '../eventLoopMonitor';
import { modelFolderName, modelsFolder } from '../modelLocation';
import type { ActiveModel } from '../modelService';
import { modelName } from '../neuronLabels';
import type { Services } from '../services';
import { readSettings, workspaceRoot } from '../settings';
import { Throttle, trainingMessage } from '../trainingProgress';
import { reportError } from '../userErrors';
import { openTrainingPanel } from './showTrainingCurves';

const STEPS = 5;
/**
 * Adam's step size. The trainer's default, sent explicitly so that the training panel shows the
 * rate the run really uses.
 */
const LEARNING_RATE = 1e-2;
const MAX_CORPUS_FILES = 5000;

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

async function choose<T>(step: number, what: string, items: Choice<T>[], title?: string): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(items, {
    title: title ?? `Neuron Lens: Train Model (${step}/${STEPS}): ${what}`,
    ignoreFocusOut: true,
  });
  return picked?.value;
}

/** The text to train on: the default corpus, the active file, or workspace files matching a glob. */
export async function chooseCorpus(title?: string): Promise<CorpusSource | undefined> {
  const editor = vscode.window.activeTextEditor;
  const items: Choice<'default' | 'active' | 'files'>[] = [
    { label: '$(book) Default corpus', description: 'Moby-Dick by Herman Melville (about 1.2 million characters)', value: 'default' },
  ];
  if (editor) items.push({ label: '$(file) Active file', description: documentName(editor.document), value: 'active' });
  if (workspaceRoot()) items.push({ label: '$(files) Workspace files…', description: 'files matching a glob pattern', value: 'files' });
  const kind = await choose(1, 'training text', items, title && `Neuron Lens: ${title}`);
  if (kind === 'default') return { kind: 'default' };
  if (kind === 'active' && editor) {
    const text = editor.document.getText();
    if (text.includes('\u0000')) {
      void vscode.window.showWarningMessage(
        `Neuron Lens: ${documentName(editor.document)} looks binary (it contains NUL characters); choose a text file.`,
      );
      return undefined;
    }
    return { kind: 'text', name: documentName(editor.document), text };
  }
  if (kind === 'files') {
    const glob = await vscode.window.showInputBox({
      title: title ? `Neuron Lens: ${title}: workspace files` : `Neuron Lens: Train Model (1/${STEPS}): workspace files`,
      prompt: 'Glob pattern of the files to train on, relative to the workspace (files.exclude applies)',
      value: '**/*.{md,txt}',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' ? 'Enter a glob pattern such as **/*.md' : undefined),
    });
    if (!glob) return undefined;
    const uris = await vscode.workspace.findFiles(glob.trim(), undefined, MAX_CORPUS_FILES);
    const paths = uris.filter((u) => u.scheme === 'file').map((u) => u.fsPath);
    if (paths.length === 0) {
      void vscode.window.showWarningMessage(`Neuron Lens: no workspace files match ${glob.trim()}.`);
      return undefined;
    }
    return { kind: 'files', name: glob.trim(), paths };
  }
  return undefined;
}

export async function trainModel(s: Services): Promise<void> {
  const corpus = await chooseCorpus();
  if (!corpus) return;
  const cell = await choose<TrainParams['cell']>(2, 'architecture', [
    { label: 'LSTM', description: 'long short-term memory: cell state and input, forget and output gates', value: 'lstm' },
    { label: 'GRU', description: 'gated recurrent unit: update and reset gates', value: 'gru' },
    { label: 'RNN', description: 'vanilla recurrent network: one tanh layer', value: 'rnn' },
  ]);
  if (!cell) return;
  const level = await choose<TrainParams['level']>(3, 'tokens', [
    { label: 'Characters', description: 'one token per character: spaces, punctuation and line ends included', value: 'char' },
    { label: 'Words', description: 'words, whitespace runs and punctuation marks', value: 'word' },
  ]);
  if (!level) return;
  const size = await choose<{ hidden: number; layers: number }>(
    4,
    'size',
    [
      [128, 1, 'default'],
      [64, 1, 'fastest'],
      [256, 1, 'more capacity, slower'],
      [128, 2, 'two stacked layers'],
      [64, 2, 'two small layers'],
      [256, 2, 'largest, slowest'],
    ].map(([hidden, layers, description]) => ({
      label: `${hidden} neurons × ${layers} layer${layers === 1 ? '' : 's'}`,
      description: String(description),
      value: { hidden: Number(hidden), layers: Number(layers) },
    })),
  );
  if (!size) return;
  const steps = await choose<number>(
    5,
    'training steps',
    [
      [300, 'default'],
      [100, 'a quick look'],
      [1000, 'a better model'],
      [3000, 'a long run'],
    ].map(([n, description]) => ({ label: `${n} steps`, description: String(description), value: Number(n) })),
  );
  if (!steps) return;

  const root = workspaceRoot();
  const out = path.join(
    modelsFolder(readSettings().modelsFolder, root, s.context.globalStorageUri.fsPath),
    modelFolderName(cell, level, new Date()),
  );
  const params: TrainParams = {
    corpus,
    cell,
    level,
    hiddenSize: size.hidden,
    numLayers: size.layers,
    steps,
    learningRate: LEARNING_RATE,
    out,
    maxSnapshots: readSettings().trainingSnapshots,
  };
  const corpusName = corpus.kind === 'default' ? 'Moby-Dick' : corpus.name;
  s.log.info(`training ${cell} (${level}, ${size.hidden}×${size.layers}, ${steps} steps) on ${corpusName} into ${out}`);
  await runTrainingRequest(s, params, `${cell.toUpperCase()} ${size.hidden}×${size.layers} on ${corpusName}`, root);
}

/**
 * Resume Training: continues the active model's interrupted run (a cancel, or VS Code closing)
 * from its last checkpoint up to the steps it aimed for, on the same corpus.
 */
export async function resumeTraining(s: Services): Promise<void> {
  const model = s.models.model;
  const t = model?.training;
  if (!model || !model.dir || !t) {
    void vscode.window.showInformationMessage('Neuron Lens: the active model has no training run to resume. Train a model first.');
    return;
  }
  if (t.completed || !model.resumable) {
    void vscode.window.showInformationMessage(
      `Neuron Lens: ${modelName(model)} ${t.completed ? `finished its training (${t.steps}/${t.targetSteps} steps)` : 'has no optimizer state to resume from'}.`,
    );
    return;
  }
  // The checkpoint names its corpus; texts other than the default one must be chosen again.
  const corpus: CorpusSource | undefined =
    t.corpus === 'moby-dick'
      ? { kind: 'default' }
      : await chooseCorpus(`Resume training (step ${t.steps}/${t.targetSteps}): choose the text it was trained on, "${t.corpus}"`);
  if (!corpus) return;
  const params: TrainParams = {
    corpus,
    cell: model.cell as TrainParams['cell'],
    level: model.level as TrainParams['level'],
    hiddenSize: model.layers[0]!,
    numLayers: model.layers.length,
    steps: t.targetSteps,
    seqLen: t.seqLen,
    batch: t.batch,
    learningRate: t.learningRate,
    seed: t.seed,
    out: model.dir,
    resume: true,
    maxSnapshots: readSettings().trainingSnapshots,
  };
  s.log.info(`resuming ${model.dir} from step ${t.steps} to ${t.targetSteps}`);
  await runTrainingRequest(s, params, `${modelName(model)}: resumed at step ${t.steps}`, workspaceRoot());
}

/** Runs one train request with live progress, the training panel, cancellation and the result loaded. */
async function runTrainingRequest(s: Services, params: TrainParams, title: string, root: string | undefined): Promise<void> {
  const { level, steps, out } = params;
  const learningRate = params.learningRate ?? LEARNING_RATE;

  const throttle = new Throttle(250);
  let last: TrainProgressData | undefined;
  s.statusBar.setActivity('training');
  // The panel gets every step (its curves are the record of the run); the notification is throttled.
  s.trainingRuns.start({
    title,
    unit: level === 'char' ? 'bits/char' : 'bits/token',
    totalSteps: steps,
    learningRate,
  });
  void vscode.commands.executeCommand('setContext', 'neuronLens.hasTrainingRun', true);
  if (readSettings().openTrainingPanel) openTrainingPanel(s);
  try {
    let model: ActiveModel | undefined;
    try {
      model = await withCancellableProgress(`Neuron Lens: training ${title}`, async (signal, progress) => {
        // Measured over the training itself: what follows (loading, writing settings) is not training.
        const monitor = new EventLoopMonitor();
        try {
          return await s.engine.request('train', params, {
            signal,
            onProgress: (p) => {
              if (p.data) {
                last = p.data;
                s.trainingRuns.add(p.data);
              }
              if (!throttle.ready()) return;
              if (p.data) progress.report({ message: trainingMessage(p.data, level), fraction: p.data.step / p.data.totalSteps });
              else progress.report({ message: p.message, fraction: p.fraction });
            },
          });
        } finally {
          s.log.info(`event loop max delay ${monitor.stop()} ms during training (${last?.step ?? 0}/${steps} steps)`);
        }
      });
    } catch (e) {
      if (!isCancellation(e)) throw e;
      const where = last ? ` at step ${last.step}/${last.totalSteps}` : '';
      s.trainingRuns.end('cancelled', `Cancelled${where}.`);
      model = await loadCheckpoint(s, out, last);
      if (!model) return;
    }
    // A cancel that reached the engine between steps is answered with the last checkpoint, not an error.
    if (model.training && !model.training.completed) {
      s.trainingRuns.end('cancelled', `Cancelled at step ${model.training.steps}; the model saved then is loaded.`);
    } else s.trainingRuns.end('finished');
    s.models.adopt(model);
    await s.models.remember(model.dir ?? out);
    if (model.training && !model.training.completed) {
      // The engine answers a cancel with the last checkpoint, already active.
      const where = last ? ` at step ${last.step}/${last.totalSteps}` : '';
      void vscode.window.showInformationMessage(
        `Neuron Lens: training cancelled${where}; the model saved so far (step ${model.training.steps}) is loaded.`,
      );
    } else announce(s, model, out, root);
  } catch (e) {
    s.trainingRuns.end('failed', e instanceof Error ? e.message : String(e));
    reportError(s.log, e, 'training');
  } finally {
    s.statusBar.setActivity(undefined);
  }
}

/** After a cancel: the checkpoint the engine wrote last, if there is one. */
async function loadCheckpoint(s: Services, out: string, last: TrainProgressData | undefined): Promise<ActiveModel | undefined> {
  const where = last ? ` at step ${last.step}/${last.totalSteps}` : '';
  try {
    const model = await s.engine.request('loadModel', { dir: out });
    const steps = model.training ? ` (its last checkpoint, step ${model.training.steps})` : '';
    void vscode.window.showInformationMessage(`Neuron Lens: training cancelled${where}; the model saved so far${steps} is loaded.`);
    return model;
  } catch {
    void vscode.window.showInformationMessage(`Neuron Lens: training cancelled${where} before the first checkpoint; nothing was saved.`);
    return undefined;
  }
}

function announce(s: Services, model: ActiveModel, out: string, root: string | undefined): void {
  const t = model.training;
  const unit = model.level === 'char' ? 'bits/char' : 'bits/token';
  const quality = t?.validationBits !== undefined ? `, validation ${t.validationBits.toFixed(2)} ${unit}` : '';
  const dir = model.dir ?? out;
  const shown = root && dir.startsWith(root) ? path.relative(root, dir) : dir;
  s.log.info(`trained ${model.description}${quality}; saved in ${dir}`);
  const actions = vscode.window.activeTextEditor ? ['Highlight Active File…'] : [];
  void vscode.window
    .showInformationMessage(`Neuron Lens: trained ${modelName(model)}${quality}. Saved in ${shown} and loaded.`, ...actions)
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('neuronLens.highlightActiveFile');
    });
}
