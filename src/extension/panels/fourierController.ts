/**
 * Keeps the Fourier panel showing the spectra of one document's neurons (the highlighter's
 * component): the neurons, band of interest, window and scale come from the experiment file, and
 * what the user changes in the panel is written back to it.
 */
import * as vscode from 'vscode';
import type { SpectraData } from '../../shared/panelMessages';
import { documentName } from '../documentText';
import { EngineError } from '../engineClient';
import { type PanelServices, type PanelTarget, DocumentPanelController } from './documentPanelController';
import { panelExporter } from './exportFile';
import { FourierPanel, type FourierPanelHandlers, type SpectrumOptionsRequest } from './fourierPanel';
import { panelComponent } from './panelComponent';

interface SpectrumOptions {
  band: [number, number];
  window: 'none' | 'hann';
  scale: 'power' | 'amplitude';
  /** Empty: every neuron of the layer. */
  neurons: number[];
}

export class FourierController extends DocumentPanelController<PanelTarget> {
  private panel: FourierPanel | undefined;
  private options: SpectrumOptions = { band: [0.4, 0.5], window: 'none', scale: 'power', neurons: [] };
  private readonly export: ReturnType<typeof panelExporter>;

  constructor(s: PanelServices) {
    super(s, 'neuronLens.fourierTarget');
    this.export = panelExporter(s.log);
  }

  protected get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Show Neuron Spectra: the document in the highlighter's component, with the experiment's neurons, band, window and scale. */
  async show(document: vscode.TextDocument): Promise<void> {
    const model = await this.s.models.ensureModel(true);
    if (!model) return;
    const experiment = await this.s.experiment.read();
    const choice = panelComponent(model, this.s.selection.current, experiment);
    if (!choice) throw new EngineError('The model has no layers to show', 'invalid-model', true);
    this.target = { uri: document.uri, layer: choice.layer, component: choice.component };
    this.options = { band: experiment.band, window: experiment.window, scale: experiment.spectrumScale, neurons: experiment.neurons };
    this.remember();
    this.attach(FourierPanel.createOrShow(this.s.context.extensionUri, this.handlers()));
    await this.refresh(`Neuron Lens: spectra of ${documentName(document)}`);
  }

  /** For the serializer: recomputes what the restored panel showed, with the band, window and scale it last used. */
  async revive(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const stored = this.remembered();
    const experiment = stored && (await this.s.experiment.read().catch(() => undefined));
    const panel = FourierPanel.revive(webviewPanel, state, this.s.context.extensionUri, this.handlers());
    this.attach(panel);
    if (!stored) {
      panel.showError('Run "Neuron Lens: Show Neuron Spectra" on a file to fill this panel.');
      return;
    }
    if (experiment) {
      this.options = { band: experiment.band, window: experiment.window, scale: experiment.spectrumScale, neurons: experiment.neurons };
    }
    if (panel.restoredOptions) this.options = { ...this.options, ...this.fromRequest(panel.restoredOptions) };
    this.target = { uri: vscode.Uri.parse(stored.uri), layer: stored.layer, component: stored.component };
    await this.refresh();
  }

  private attach(panel: FourierPanel): void {
    if (panel === this.panel) return;
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.stop();
    });
  }

  private handlers(): FourierPanelHandlers {
    return {
      onHighlightNeuron: (neuron) => void this.highlightNeuron(neuron).catch((e: unknown) => this.fail(e)),
      onSpectrumOptions: (request) => this.optionsChanged(request),
      onExport: (format, name, content) => this.export(format, name, content),
    };
  }

  private fromRequest(r: SpectrumOptionsRequest): Partial<SpectrumOptions> {
    return { band: [r.band[0], r.band[1]], window: r.window, scale: r.scale, ...(r.neurons ? { neurons: r.neurons } : {}) };
  }

  private optionsChanged(request: SpectrumOptionsRequest): void {
    this.options = { ...this.options, ...this.fromRequest(request) };
    const t = this.target;
    if (t) {
      const o = this.options;
      void this.s.experiment.update({
        band: o.band,
        window: o.window,
        spectrumScale: o.scale,
        ...(request.neurons ? { neurons: o.neurons } : {}),
        layer: t.layer,
        component: t.component,
      });
    }
    void this.refresh();
  }

  protected async experimentChanged(): Promise<void> {
    const e = await this.s.experiment.readChange();
    if (!e) return;
    const o = this.options;
    const same =
      e.band[0] === o.band[0] &&
      e.band[1] === o.band[1] &&
      e.window === o.window &&
      e.spectrumScale === o.scale &&
      e.neurons.length === o.neurons.length &&
      e.neurons.every((n, i) => n === o.neurons[i]);
    if (same) return;
    this.options = { band: e.band, window: e.window, scale: e.spectrumScale, neurons: e.neurons };
    await this.refresh();
  }

  protected async compute(target: PanelTarget, signal: AbortSignal): Promise<void> {
    const model = await this.requireModel(target);
    const units = model.layers[target.layer]!;
    const options = this.options;
    const missing = options.neurons.find((n) => n >= units);
    if (missing !== undefined) {
      throw new EngineError(
        `The experiment file lists neuron ${missing}, but layer ${target.layer} has ${units} neurons (0–${units - 1})`,
        'invalid-input',
        true,
      );
    }
    const document = await this.document(target);
    const result = await this.withAnalysis(document, target, signal, () =>
      this.s.engine.request(
        'spectra',
        {
          docId: document.uri.toString(),
          ...(options.neurons.length ? { neurons: options.neurons } : {}),
          band: options.band,
          window: options.window,
          scale: options.scale,
        },
        { signal },
      ),
    );
    if (signal.aborted || !this.panel) return;
    const { modelId: _modelId, ...rest } = result;
    const data: SpectraData = { ...rest, title: `${documentName(document)} · layer ${target.layer} ${target.component}` };
    // The page keeps plotting the neuron it shows; only a change of the highlighted neuron moves it.
    this.panel.showSpectra(data);
  }

  protected neuronSelected(neuron: number): void {
    this.panel?.selectNeuron(neuron);
  }

  protected showError(message: string): void {
    this.panel?.showError(message);
  }
}
