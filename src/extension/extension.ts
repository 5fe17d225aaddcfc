import * as path from 'node:path';
import * as vscode from 'vscode';
import { classifyText } from './commands/classifyText';
import { colourByCluster } from './commands/colourByCluster';
import { compareAcrossModels, compareNeurons } from './commands/compareNeurons';
import { findNeuronsForSelection } from './commands/findNeuronsForSelection';
import { findSimilarSpans } from './commands/findSimilarSpans';
import { foolClassifier } from './commands/foolClassifier';
import { generateText } from './commands/generateText';
import { registerHighlightCommands } from './commands/highlightCommands';
import { importModel } from './commands/importModel';
import { loadModel } from './commands/loadModel';
import { maximizeNeuron } from './commands/maximizeNeuron';
import { interveneNeurons } from './commands/interveneNeurons';
import { invertHiddenState } from './commands/invertHiddenState';
import { openExperimentFile } from './commands/openExperimentFile';
import { openImageModel } from './commands/openImageModel';
import { saveModelAs } from './commands/saveModelAs';
import { showHeatmap } from './commands/showHeatmap';
import { showModelInfo } from './commands/showModelInfo';
import { showNeuronHistory } from './commands/showNeuronHistory';
import { showSaliency } from './commands/showSaliency';
import { showSpectra } from './commands/showSpectra';
import { showTopContexts } from './commands/showTopContexts';
import { showTrainingCurves } from './commands/showTrainingCurves';
import { trainClassifier } from './commands/trainClassifier';
import { resumeTraining, trainModel } from './commands/trainModel';
import { findSimilarWords, trainWordVectors } from './commands/wordVectors';
import { DecorationPainter } from './decorationPainter';
import { EngineClient } from './engineClient';
import { ExperimentFile } from './experimentFile';
import { Highlighter } from './highlighter';
import { ModelService } from './modelService';
import { NeuronHoverProvider } from './neuronHover';
import { NeuronSelection } from './neuronSelection';
import { ComparisonController } from './panels/comparisonController';
import { FourierController } from './panels/fourierController';
import { HeatmapController } from './panels/heatmapController';
import { registerPanelSerializers } from './panels/panelSerializers';
import { ResultsController } from './panels/resultsController';
import { registerSidePanel } from './sidePanel/registerSidePanel';
import { TrainingRunStore } from './panels/trainingRunStore';
import { RecentEditor } from './recentEditor';
import { runCardAction } from './resultActions';
import { REPORT_SCHEME, ReportDocuments } from './reportDocuments';
import type { Services } from './services';
import { readSettings } from './settings';
import { NeuronStatusBarItem } from './statusBarItem';
import { TokenScoreOverlay } from './tokenScoreOverlay';
import { offerWalkthroughOnce, registerOnboarding } from './onboarding';
import { reportError } from './userErrors';

/**
 * Activation only wires things up: the engine worker (and with it tfjs) starts on the first
 * command that needs it.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Neuron Lens', { log: true });
  const engine = new EngineClient(
    path.join(context.extensionPath, 'dist', 'worker.js'),
    () => readSettings().backend,
    (line) => log.info(line),
  );
  const models = new ModelService(engine, log, path.join(context.extensionPath, 'media', 'default-model'));
  const selection = new NeuronSelection();
  const painter = new DecorationPainter(readSettings().palette);
  const highlighter = new Highlighter(engine, models, selection, painter, log);
  const statusBar = new NeuronStatusBarItem(models, selection, engine);
  context.subscriptions.push(log, { dispose: () => engine.dispose() }, models, selection, painter, highlighter, statusBar);

  const experiment = new ExperimentFile(engine, context.globalStorageUri.fsPath, log);
  const trainingRuns = new TrainingRunStore();
  const recentEditor = new RecentEditor();
  const panelServices = { context, log, engine, models, selection, highlighter, experiment };
  const heatmap = new HeatmapController(panelServices);
  const fourier = new FourierController(panelServices);
  const comparison = new ComparisonController(panelServices);
  context.subscriptions.push(comparison);
  // The buttons' runner needs every service; it first runs after activation, when `s` exists.
  const results = new ResultsController(context.extensionUri, log, context.workspaceState, (card, actions, action, row) =>
    runCardAction(s, card, actions, action, row),
  );
  context.subscriptions.push(results);
  const overlay = new TokenScoreOverlay(readSettings().palette, highlighter, (message) =>
    vscode.window.setStatusBarMessage(`Neuron Lens: ${message}`, 8000),
  );
  const reports = new ReportDocuments();
  context.subscriptions.push(experiment, recentEditor, heatmap, fourier, overlay, reports);

  const s: Services = {
    context,
    log,
    engine,
    models,
    selection,
    highlighter,
    statusBar,
    experiment,
    trainingRuns,
    recentEditor,
    heatmap,
    fourier,
    overlay,
    reports,
  };
  void vscode.commands.executeCommand('setContext', 'neuronLens.modelLoaded', false);
  void vscode.commands.executeCommand('setContext', 'neuronLens.hasTrainingRun', false);

  context.subscriptions.push(
    highlighter.onDidChangeBusy((busy) => statusBar.setBusy(busy)),
    vscode.languages.registerHoverProvider('*', new NeuronHoverProvider(highlighter, engine, models)),
    vscode.commands.registerCommand('neuronLens.trainModel', () => trainModel(s)),
    vscode.commands.registerCommand('neuronLens.resumeTraining', () => resumeTraining(s)),
    vscode.commands.registerCommand('neuronLens.loadModel', (uri?: vscode.Uri) =>
      loadModel(s, uri instanceof vscode.Uri ? uri : undefined),
    ),
    vscode.commands.registerCommand('neuronLens.saveModelAs', () => saveModelAs(s)),
    vscode.commands.registerCommand('neuronLens.importModel', () => importModel(s)),
    vscode.commands.registerCommand('neuronLens.showModelInfo', (uri?: vscode.Uri) =>
      showModelInfo(s, uri instanceof vscode.Uri ? uri : undefined),
    ),
    vscode.commands.registerCommand('neuronLens.generateText', () => generateText(s)),
    vscode.commands.registerCommand('neuronLens.findNeuronsForSelection', () => findNeuronsForSelection(s)),
    vscode.commands.registerCommand('neuronLens.showTopContexts', () => showTopContexts(s, results)),
    vscode.commands.registerCommand('neuronLens.showSaliency', () => showSaliency(s, results)),
    vscode.commands.registerCommand('neuronLens.interveneNeurons', () => interveneNeurons(s)),
    vscode.commands.registerCommand('neuronLens.findSimilarSpans', () => findSimilarSpans(s)),
    vscode.commands.registerCommand('neuronLens.colourByCluster', () => colourByCluster(s)),
    vscode.commands.registerCommand('neuronLens.classifyText', () => classifyText(s)),
    vscode.commands.registerCommand('neuronLens.maximizeNeuron', () => maximizeNeuron(s, results)),
    vscode.commands.registerCommand('neuronLens.invertHiddenState', () => invertHiddenState(s, results)),
    vscode.commands.registerCommand('neuronLens.trainClassifier', () => trainClassifier(s)),
    vscode.commands.registerCommand('neuronLens.trainWordVectors', () => trainWordVectors(s)),
    vscode.commands.registerCommand('neuronLens.findSimilarWords', () => findSimilarWords(s)),
    vscode.commands.registerCommand('neuronLens.foolClassifier', () => foolClassifier(s, results)),
    vscode.commands.registerCommand('neuronLens.clearTokenScores', () => overlay.clearAll()),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    ...registerHighlightCommands(s),
    vscode.commands.registerCommand('neuronLens.showHeatmap', () => showHeatmap(s)),
    vscode.commands.registerCommand('neuronLens.showSpectra', () => showSpectra(s)),
    vscode.commands.registerCommand('neuronLens.compareNeurons', () => compareNeurons(s, comparison)),
    vscode.commands.registerCommand('neuronLens.compareAcrossModels', (uri?: vscode.Uri) => compareAcrossModels(s, comparison, uri)),
    vscode.commands.registerCommand('neuronLens.showTrainingCurves', () => showTrainingCurves(s)),
    vscode.commands.registerCommand('neuronLens.showNeuronHistory', () => showNeuronHistory(s)),
    vscode.commands.registerCommand('neuronLens.openImageModel', (uri?: vscode.Uri) => openImageModel(s, uri)),
    vscode.commands.registerCommand('neuronLens.openExperimentFile', () => openExperimentFile(s)),
    ...registerPanelSerializers(s, { comparison, results }),
    ...registerOnboarding(context),
    registerSidePanel(s),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('neuronLens.backend') && engine.running) {
        // The backend is chosen when the worker starts: restart it and bring the model back.
        log.info(`backend setting changed to ${readSettings().backend}; restarting the engine`);
        engine.dispose();
        if (models.model) void models.ensureModel(false);
      }
      if (e.affectsConfiguration('neuronLens.modelPath')) {
        const configured = models.configuredPath();
        // Our own writes (after training or loading) name the active model already.
        if (configured && models.model && configured !== models.model.dir) {
          void models.load(configured).catch((err: unknown) => reportError(log, err, `loading ${configured} (neuronLens.modelPath)`));
        }
      }
    }),
  );
  void offerWalkthroughOnce(context).catch((err: unknown) => log.warn(`first-run notification: ${String(err)}`));
}

export function deactivate(): void {
  // Disposables registered in activate() stop the worker.
}
