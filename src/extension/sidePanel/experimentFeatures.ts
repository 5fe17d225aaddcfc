/**
 * The features of interest of the workspace's experiment file, kept current for the side panel:
 * read again whenever ExperimentFile says the file changed (the heatmap panel wrote it, the user
 * edited it, the setting names another file). The engine worker reads and validates it exactly
 * as the panels and the CLI do; reading a JSON file is no reason to start the worker (and load
 * tfjs), so nothing is read until it runs.
 */
import * as vscode from 'vscode';
import type { EngineClient } from '../engineClient';
import type { ExperimentFile } from '../experimentFile';

export interface FeaturesOfInterest {
  features: string[];
  /** The file, as the user would write it (relative to the workspace when inside it). */
  file: string;
  exists: boolean;
  problem?: string;
}

export class ExperimentFeatures implements vscode.Disposable {
  private latest: FeaturesOfInterest | undefined;
  /** Numbers reads, so that an answer overtaken by a later read is dropped. */
  private reads = 0;
  private readonly changed = new vscode.EventEmitter<FeaturesOfInterest>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly experiment: Pick<ExperimentFile, 'path' | 'onDidChange'>,
    private readonly engine: EngineClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(experiment.onDidChange(() => this.refresh()));
  }

  /** The features last read, if any. */
  get value(): FeaturesOfInterest | undefined {
    return this.latest;
  }

  /** Reads the file again (when the engine runs) and fires onDidChange with what it holds. */
  refresh(): void {
    if (!this.engine.running) return;
    const file = this.experiment.path;
    const read = ++this.reads;
    // ExperimentFile.read() would do, but the panel also shows whether the file exists and what is wrong with it.
    this.engine.request('readExperiment', { file }).then(
      (state) => {
        if (read !== this.reads) return;
        this.latest = {
          features: [...state.experiment.features],
          file: vscode.workspace.asRelativePath(file, false),
          exists: state.exists,
          problem: state.problem,
        };
        this.changed.fire(this.latest);
      },
      (e: unknown) =>
        this.log.warn(`side panel: could not read the experiment file ${file}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  dispose(): void {
    for (const d of this.subscriptions.reverse()) d.dispose();
  }
}
