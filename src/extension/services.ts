/** What the commands work with, created once in activate(). */
import type * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { ExperimentFile } from './experimentFile';
import type { Highlighter } from './highlighter';
import type { ModelService } from './modelService';
import type { NeuronSelection } from './neuronSelection';
import type { FourierController } from './panels/fourierController';
import type { HeatmapController } from './panels/heatmapController';
import type { TrainingRunStore } from './panels/trainingRunStore';
import type { RecentEditor } from './recentEditor';
import type { ReportDocuments } from './reportDocuments';
import type { NeuronStatusBarItem } from './statusBarItem';
import type { TokenScoreOverlay } from './tokenScoreOverlay';

export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  engine: EngineClient;
  models: ModelService;
  selection: NeuronSelection;
  highlighter: Highlighter;
  statusBar: NeuronStatusBarItem;
  /** The workspace's experiment file (features of interest, neurons, band, plot choices). */
  experiment: ExperimentFile;
  /** The current training run, kept for the training panel (which may open and close mid-run). */
  trainingRuns: TrainingRunStore;
  /** The text editor commands act on while focus is in a panel. */
  recentEditor: RecentEditor;
  /** The heatmap panel's link to the editor. */
  heatmap: HeatmapController;
  /** The Fourier panel's link to the editor. */
  fourier: FourierController;
  /** Per-token scores (saliency, cluster factors) painted over a document until its next edit. */
  overlay: TokenScoreOverlay;
  /** Read-only Markdown reports (intervention effects). */
  reports: ReportDocuments;
}
