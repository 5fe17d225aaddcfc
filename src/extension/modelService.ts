/**
 * The active model, as the extension knows it. The model itself lives in the engine worker; this
 * remembers which folder it came from so that it can be loaded again after the worker restarts
 * (a crash, a backend change), and loads `neuronLens.modelPath` on the first command that needs
 * a model, or, when that setting is empty, the default model bundled with the extension
 * (`media/default-model`, a character LSTM trained on Moby-Dick by `npm run train:default-model`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSummary } from '../shared/modelSummary';
import type { EngineClient } from './engineClient';
import { isSameFolder, resolveSettingPath, settingValueFor } from './modelLocation';
import { readSettings, workspaceRoot } from './settings';
import { isCancellation, withCancellableProgress } from './cancellableProgress';

export type ActiveModel = ModelSummary & { modelId: number; bundled?: boolean };

export interface ModelChange {
  model: ActiveModel | undefined;
  /** Increases with every model made active (a reload of the same folder included): analyses of an older generation are stale. */
  generation: number;
}

export class ModelService implements vscode.Disposable {
  private active: ActiveModel | undefined;
  /** Whether the running worker holds `active` (false after it stopped). */
  private inWorker = false;
  private loading: Promise<ActiveModel | undefined> | undefined;
  private generationCounter = 0;
  private readonly changed = new vscode.EventEmitter<ModelChange>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
    /** The default model shipped with the extension, loaded when `neuronLens.modelPath` is empty. */
    private readonly bundledModelDir?: string,
  ) {
    this.subscriptions.push(
      this.changed,
      engine.onDidChangeState((e) => {
        if (e.kind === 'stopped') this.inWorker = false;
      }),
    );
  }

  get model(): ActiveModel | undefined {
    return this.active;
  }

  get generation(): number {
    return this.generationCounter;
  }

  /**
   * The active model, loading it if needed: again from its folder after a worker restart, else
   * from `neuronLens.modelPath`, else the bundled default model. Interactive callers without any
   * of them get a prompt to train or load one; background callers get undefined.
   */
  async ensureModel(interactive: boolean): Promise<ActiveModel | undefined> {
    if (this.active && this.inWorker) return this.active;
    if (this.loading) return this.loading;
    const configured = this.active?.dir ? undefined : this.configuredPath();
    const dir = this.active?.dir ?? configured ?? this.bundledPath();
    if (dir) {
      const source = this.active?.dir ? 'the active model' : configured ? 'the model of neuronLens.modelPath' : 'the bundled default model';
      this.loading = this.loadQuietly(dir, source, interactive).finally(() => (this.loading = undefined));
      // A failed load has said why; offering to train on top of that would bury the reason.
      return this.loading;
    }
    if (!interactive) return undefined;
    const choice = await vscode.window.showInformationMessage(
      'Neuron Lens needs a model: train one (a few minutes on the default corpus) or load a model folder.',
      'Train Model…',
      'Load Model…',
    );
    if (choice === 'Train Model…') await vscode.commands.executeCommand('neuronLens.trainModel');
    else if (choice === 'Load Model…') await vscode.commands.executeCommand('neuronLens.loadModel');
    return this.active && this.inWorker ? this.active : undefined;
  }

  /** Loads a folder and makes it the active model (errors propagate to the command). */
  async load(dir: string, signal?: AbortSignal): Promise<ActiveModel> {
    const loaded = await this.engine.request('loadModel', { dir }, { signal });
    const model = this.isBundled(loaded.dir ?? dir) ? { ...loaded, bundled: true } : loaded;
    this.adopt(model);
    return model;
  }

  /** Whether a folder is the default model shipped with the extension. */
  isBundled(dir: string | undefined): boolean {
    return dir !== undefined && this.bundledModelDir !== undefined && isSameFolder(dir, this.bundledModelDir);
  }

  /** The bundled default model's folder, if the extension ships one. */
  bundledPath(): string | undefined {
    const dir = this.bundledModelDir;
    return dir && fs.existsSync(path.join(dir, 'model.json')) ? dir : undefined;
  }

  /** Makes a model the worker already holds (just trained) the active one. */
  adopt(model: ActiveModel): void {
    this.active = model;
    this.inWorker = true;
    this.generationCounter++;
    void vscode.commands.executeCommand('setContext', 'neuronLens.modelLoaded', true);
    this.log.info(`active model: ${model.dir ?? model.description} (${model.description})`);
    this.changed.fire({ model, generation: this.generationCounter });
  }

  /** The active model now lives (also) in another folder, with the same weights: analyses stay valid. */
  rename(dir: string): void {
    if (!this.active) return;
    this.active = { ...this.active, dir, bundled: this.isBundled(dir) };
    this.changed.fire({ model: this.active, generation: this.generationCounter });
  }

  /** Writes the model's folder into the workspace setting, so the next session loads it. */
  async remember(dir: string): Promise<void> {
    const root = workspaceRoot();
    if (!root) return;
    await vscode.workspace
      .getConfiguration('neuronLens')
      .update('modelPath', settingValueFor(dir, root), vscode.ConfigurationTarget.Workspace);
  }

  /** The folder `neuronLens.modelPath` points at, if set. */
  configuredPath(): string | undefined {
    return resolveSettingPath(readSettings().modelPath, workspaceRoot());
  }

  private async loadQuietly(dir: string, source: string, interactive: boolean): Promise<ActiveModel | undefined> {
    try {
      return await withCancellableProgress(`Neuron Lens: loading model ${dir}`, (signal) => this.load(dir, signal), {
        location: interactive ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
        delayMs: interactive ? 500 : 0,
      });
    } catch (e) {
      if (isCancellation(e)) return undefined;
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`could not load ${source} from ${dir}: ${message}`);
      void vscode.window.showErrorMessage(`Neuron Lens: could not load ${source}: ${message}`);
      return undefined;
    }
  }

  dispose(): void {
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
