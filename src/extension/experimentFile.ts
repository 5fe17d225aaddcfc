/**
 * The workspace's experiment file (features of interest, neurons, band of interest, plot choices),
 * as the panels use it. The engine worker parses, validates and writes it (the same code as the
 * CLI's --experiment), so the extension never loads engine code; this class knows where the file
 * is, tells the panels when it changed on disk, and turns failures into messages.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment, ExperimentFileState } from '../engine/experiment';
import type { EngineClient } from './engineClient';
import { experimentFilePath } from './experimentLocation';
import { readSettings, workspaceRoot } from './settings';

export type { Experiment };

/** Changes on disk come in bursts (an atomic write is a create and a rename): one event per burst. */
const CHANGE_SETTLE_MS = 150;

export class ExperimentFile implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private watched: string | undefined;
  private settle: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The file was created, changed or deleted (by anyone, the panels included), or the setting now names another file. */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  /** Problems already shown, so that a broken file is not reported again on every panel refresh. */
  private reported: string | undefined;

  constructor(
    private readonly engine: EngineClient,
    private readonly globalStorage: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.watch();
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('neuronLens.experimentFile')) return;
        this.watch();
        this.changed.fire();
      }),
    );
  }

  /** The file's absolute path. */
  get path(): string {
    return experimentFilePath(readSettings().experimentFile, workspaceRoot(), this.globalStorage);
  }

  /**
   * The experiment to use: the file's, or the defaults when there is none. A file that does not
   * parse is reported once (with a button to open it) and the defaults are used meanwhile.
   */
  async read(): Promise<Experiment> {
    return (await this.load()).experiment;
  }

  /**
   * After a change on disk: the file's experiment, or undefined while it does not parse (the
   * panels keep what they show rather than fall back to the defaults mid-edit).
   */
  async readChange(): Promise<Experiment | undefined> {
    const state = await this.load();
    return state.problem ? undefined : state.experiment;
  }

  private async load(): Promise<ExperimentFileState> {
    const file = this.path;
    const state = await this.engine.request('readExperiment', { file });
    if (state.problem) {
      if (this.reported !== state.problem) {
        this.reported = state.problem;
        this.log.warn(`experiment file: ${state.problem}`);
        this.offerToOpen(
          `Neuron Lens: the experiment file cannot be used (${state.problem}); the panels use the defaults until it is fixed.`,
        );
      }
    } else this.reported = undefined;
    return state;
  }

  /**
   * Writes the panels' changes into the file. A file that does not parse is left as it is and the
   * user is told why: the panel goes on with the new choices, the file keeps the user's text.
   * Returns whether the file was written.
   */
  async update(changes: Partial<Experiment>): Promise<boolean> {
    const file = this.path;
    try {
      await this.engine.request('updateExperiment', { file, changes });
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn(`experiment file not updated: ${message}`);
      this.offerToOpen(`Neuron Lens: the experiment file was not changed: ${message}`);
      return false;
    }
  }

  /** Opens the file in an editor, creating it with the defaults first if it does not exist. */
  async open(): Promise<void> {
    const file = this.path;
    const state = await this.engine.request('readExperiment', { file });
    if (!state.exists) {
      await this.engine.request('updateExperiment', { file, changes: {} });
      this.log.info(`created the experiment file ${file}`);
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }

  private offerToOpen(message: string): void {
    void vscode.window.showWarningMessage(message, 'Open Experiment File').then((choice) => {
      if (choice) void vscode.commands.executeCommand('neuronLens.openExperimentFile');
    });
  }

  /** Watches the file the setting names now (it may lie outside the workspace). */
  private watch(): void {
    const file = this.path;
    if (file === this.watched) return;
    this.watcher?.dispose();
    this.watched = file;
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
    );
    const fire = () => {
      clearTimeout(this.settle);
      this.settle = setTimeout(() => this.changed.fire(), CHANGE_SETTLE_MS);
    };
    watcher.onDidCreate(fire);
    watcher.onDidChange(fire);
    watcher.onDidDelete(fire);
    this.watcher = watcher;
  }

  dispose(): void {
    clearTimeout(this.settle);
    this.watcher?.dispose();
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
