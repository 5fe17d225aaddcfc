/** The `neuronLens.*` settings, read with their defaults and checked, in one place. */
import * as vscode from 'vscode';
import { DEFAULT_EXPERIMENT_FILE } from './experimentLocation';
import { type PaletteName, type ScaleMode, isPaletteName } from './palette';

export interface Settings {
  palette: PaletteName;
  scale: ScaleMode;
  maxTokens: number;
  debounceMs: number;
  modelsFolder: string;
  modelPath: string;
  backend: string;
  /** The experiment file, absolute or relative to the first workspace folder (see experimentLocation). */
  experimentFile: string;
  /** Open the training panel when training starts. */
  openTrainingPanel: boolean;
  /** Snapshots Train Model… keeps for Show Neuron Across Training (0: none). */
  trainingSnapshots: number;
}

export const DEFAULT_MAX_TOKENS = 200_000;
export const DEFAULT_TRAINING_SNAPSHOTS = 20;

/** 0 (none) or 2 and more: one snapshot cannot show a change; out-of-range values fall back to the default. */
function snapshotCount(n: number): number {
  if (!Number.isFinite(n) || n < 0) return DEFAULT_TRAINING_SNAPSHOTS;
  return n < 1 ? 0 : Math.min(1000, Math.max(2, Math.floor(n)));
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('neuronLens');
  const palette = c.get<string>('palette', 'blueRed');
  const maxTokens = c.get<number>('maxTokens', DEFAULT_MAX_TOKENS);
  const debounceMs = c.get<number>('debounceMs', 150);
  return {
    palette: isPaletteName(palette) ? palette : 'blueRed',
    scale: c.get<string>('scale', 'fixed') === 'robust' ? 'robust' : 'fixed',
    maxTokens: Number.isFinite(maxTokens) && maxTokens >= 1 ? Math.floor(maxTokens) : DEFAULT_MAX_TOKENS,
    debounceMs: Number.isFinite(debounceMs) && debounceMs >= 0 ? debounceMs : 150,
    modelsFolder: c.get<string>('modelsFolder', '.neuron-lens/models'),
    modelPath: c.get<string>('modelPath', ''),
    backend: c.get<string>('backend', 'auto'),
    experimentFile: c.get<string>('experimentFile', DEFAULT_EXPERIMENT_FILE),
    openTrainingPanel: c.get<boolean>('openTrainingPanel', true) !== false,
    trainingSnapshots: snapshotCount(c.get<number>('trainingSnapshots', DEFAULT_TRAINING_SNAPSHOTS)),
  };
}

/** The folder relative settings are resolved against: the first workspace folder on disk. */
export function workspaceRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  return folder?.uri.fsPath;
}
