import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImageInputRef, ImageModelDescription } from '../../engine/vision/imageRequests';
import { type FromVision, type ToVision, type VisionSection, parseFromVision } from '../../shared/visionMessages';
import type { EngineClient } from '../engineClient';
import { isCancellation } from '../cancellableProgress';
import { dreamSection, foolingSection, gallerySection, inputSection, inversionSection, layerSection } from './visionSections';
import { webviewHtml, webviewOptions } from './webviewHtml';

export interface VisionPanelHandlers {
  engine: EngineClient;
  log: vscode.LogOutputChannel;
  onExport(format: 'png' | 'csv', name: string, content: string): void | Thenable<unknown>;
}

/**
 * The image-model panel for one image model folder. It has its own protocol (visionMessages), so
 * it does not build on WebviewPanelBase, but follows it: one panel at a time, opened beside the
 * editor, page not retained while hidden; on every `ready` the page gets the model and all the
 * sections computed so far. Each request the page makes runs in the engine worker, one at a time;
 * a new request cancels the one running.
 */
export class VisionPanel implements vscode.Disposable {
  static readonly viewType = 'neuronLens.vision';
  private static instance: VisionPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sections = new Map<string, VisionSection>();
  private ready = false;
  private input: ImageInputRef | undefined;
  private running: AbortController | undefined;

  static async open(extensionUri: vscode.Uri, dir: string, handlers: VisionPanelHandlers): Promise<VisionPanel> {
    const model = await handlers.engine.request('imageModelInfo', { dir });
    VisionPanel.instance?.dispose();
    const panel = vscode.window.createWebviewPanel(
      VisionPanel.viewType,
      `Image Model: ${path.basename(dir)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: false },
    );
    return new VisionPanel(panel, extensionUri, model, handlers);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly model: ImageModelDescription,
    private readonly handlers: VisionPanelHandlers,
  ) {
    VisionPanel.instance = this;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(parseFromVision(m))),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    );
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'vision', 'Neuron Lens Image Model');
    if (model.testDigits > 0) void this.show({ kind: 'digit', index: 0 });
  }

  dispose(): void {
    if (VisionPanel.instance === this) VisionPanel.instance = undefined;
    this.running?.abort();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private post(message: ToVision): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private setSection(section: VisionSection): void {
    this.sections.set(section.id, section);
    this.post({ type: 'visionSection', section });
  }

  private receive(m: FromVision | undefined): void {
    if (!m) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post({
          type: 'visionModel',
          model: {
            title: path.basename(this.model.dir),
            classes: this.model.classes,
            layers: this.model.layers.map((l) => ({ name: l.name, units: l.shape[l.shape.length - 1]! })),
            testDigits: this.model.testDigits,
          },
        });
        for (const s of this.sections.values()) this.post({ type: 'visionSection', section: s });
        break;
      case 'export':
        void Promise.resolve(this.handlers.onExport(m.format, m.name, m.content)).catch((e: unknown) =>
          vscode.window.showErrorMessage(`Neuron Lens: export failed: ${e instanceof Error ? e.message : String(e)}`),
        );
        break;
      case 'visionCancel':
        this.running?.abort();
        break;
      case 'visionDigit':
        if (m.index < this.model.testDigits) void this.show({ kind: 'digit', index: m.index });
        break;
      case 'visionOpenImage':
        void this.pickImage();
        break;
      case 'visionMaximize':
        if (this.model.layers.some((l) => l.name === m.layer)) void this.gallery(m.layer);
        break;
      case 'visionFool':
        if (m.target < this.model.classes.length) void this.fool(m.target);
        break;
      case 'visionInvert':
        if (this.model.layers.some((l) => l.name === m.layer)) void this.invert(m.layer);
        break;
      case 'visionDream':
        if (this.model.layers.some((l) => l.name === m.layer)) void this.dream(m.layer);
        break;
    }
  }

  /** Runs one job at a time: a new one cancels the previous; the page shows what runs and offers Cancel. */
  private async job(what: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this.post({ type: 'visionBusy', message: `${what}…` });
    try {
      await work(controller.signal);
    } catch (e) {
      if (!isCancellation(e)) {
        const message = e instanceof Error ? e.message : String(e);
        this.handlers.log.warn(`${what}: ${message}`);
        this.post({ type: 'error', message });
      }
    } finally {
      if (this.running === controller) {
        this.running = undefined;
        this.post({ type: 'visionBusy', message: null });
      }
    }
  }

  private async pickImage(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Neuron Lens: image to run the model on',
      canSelectMany: false,
      filters: { Images: ['png', 'jpg', 'jpeg'] },
    });
    if (picked?.[0]) await this.show({ kind: 'file', path: picked[0].fsPath });
  }

  private show(input: ImageInputRef): Promise<void> {
    const { engine } = this.handlers;
    const dir = this.model.dir;
    return this.job('Running the model', async (signal) => {
      const a = await engine.request('imageActivations', { dir, input, top: 5 }, { signal });
      const s = await engine.request('imageSaliency', { dir, input }, { signal });
      this.input = input;
      this.sections.delete('fooling');
      this.setSection(inputSection(a, s, this.model.classes));
      for (const layer of a.layers) this.setSection(layerSection(layer));
    });
  }

  /** The engine's progress of the running job as the page's busy line and bar. */
  private progress(signal: AbortSignal, text: (message: string) => string): (p: { message?: string; fraction?: number }) => void {
    return (p) => {
      // A superseded job's last messages must not overwrite the one now running.
      if (signal.aborted || !p.message) return;
      this.post({ type: 'visionBusy', message: text(p.message), ...(p.fraction === undefined ? {} : { fraction: p.fraction }) });
    };
  }

  private gallery(layer: string): Promise<void> {
    const { engine } = this.handlers;
    return this.job(`Maximising the filters of ${layer}`, async (signal) => {
      const r = await engine.request(
        'imageMaximize',
        { dir: this.model.dir, layer },
        { signal, onProgress: this.progress(signal, (m) => `Maximising ${m}…`) },
      );
      this.setSection(gallerySection(r));
    });
  }

  private fool(target: number): Promise<void> {
    const input = this.requireInput('the fooling image');
    if (!input) return Promise.resolve();
    return this.job(`Fooling the model into ${this.model.classes[target]}`, async (signal) => {
      const r = await this.handlers.engine.request('imageFool', { dir: this.model.dir, input, target }, { signal });
      this.setSection(foolingSection(r, this.model.classes));
    });
  }

  /** The input the panel shows, or undefined after telling the page that `what` starts from it. */
  private requireInput(what: string): ImageInputRef | undefined {
    if (!this.input) this.post({ type: 'error', message: `Choose a test digit or open an image first: ${what} starts from it.` });
    return this.input;
  }

  private invert(layer: string): Promise<void> {
    const input = this.requireInput('feature inversion');
    if (!input) return Promise.resolve();
    return this.job(`Inverting the features of ${layer}`, async (signal) => {
      const r = await this.handlers.engine.request(
        'imageInvert',
        { dir: this.model.dir, input, layer },
        { signal, onProgress: this.progress(signal, (m) => `${m}…`) },
      );
      this.setSection(inversionSection(r));
    });
  }

  private dream(layer: string): Promise<void> {
    const input = this.requireInput('DeepDream');
    if (!input) return Promise.resolve();
    return this.job(`Dreaming at ${layer}`, async (signal) => {
      const r = await this.handlers.engine.request(
        'imageDream',
        { dir: this.model.dir, input, layer },
        { signal, onProgress: this.progress(signal, (m) => `${m}…`) },
      );
      this.setSection(dreamSection(r));
    });
  }
}
