/** What the commands work with, created once in activate(). */
import type * as vscode from 'vscode';
import type { EngineClient } from './engineClient';
import type { Highlighter } from './highlighter';
import type { ModelService } from './modelService';
import type { NeuronSelection } from './neuronSelection';
import type { NeuronStatusBarItem } from './statusBarItem';

export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  engine: EngineClient;
  models: ModelService;
  selection: NeuronSelection;
  highlighter: Highlighter;
  statusBar: NeuronStatusBarItem;
}
