import type * as vscode from 'vscode';
import { type FromWebview, type SpectraData, parseFromWebview } from '../../shared/panelMessages';
import { type PanelExportHandler, type PanelRequest, WebviewPanelBase } from './webviewPanelBase';

export type SpectrumOptionsRequest = Omit<Extract<FromWebview, { type: 'setSpectrumOptions' }>, 'type'>;

/** What the panel asks of its owner; every argument has been validated. */
export interface FourierPanelHandlers extends PanelExportHandler {
  /** A neuron was picked in the ranking (or "Highlight in editor"): colour the editor by it. */
  onHighlightNeuron(neuron: number): void;
  /** The band, window or value scale changed: recompute the spectra, peaks and ranking, then call showSpectra. */
  onSpectrumOptions(options: SpectrumOptionsRequest): void;
}

/** The options the page saved with setState, if they are usable (saved state is as untrusted as messages). */
function optionsFromState(state: unknown): SpectrumOptionsRequest | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as Record<string, unknown>;
  const m = parseFromWebview({ type: 'setSpectrumOptions', band: s.band, window: s.window, scale: s.scale });
  return m?.type === 'setSpectrumOptions' ? { band: m.band, window: m.window, scale: m.scale } : undefined;
}

/**
 * The Fourier panel: one at a time, opened beside the editor. The extension computes spectra,
 * peaks and the band ranking; this class delivers them to the page once it says `ready` (and
 * again each time it is recreated: a hidden page is destroyed, not kept alive) and turns the
 * page's validated requests into calls on the owner's handlers.
 */
export class FourierPanel extends WebviewPanelBase<FourierPanelHandlers> {
  static readonly viewType = 'neuronLens.fourier';
  private static instance: FourierPanel | undefined;

  private spectra: SpectraData | undefined;
  private error: string | undefined;

  /** The open panel, if any. */
  static get current(): FourierPanel | undefined {
    return FourierPanel.instance;
  }

  /** Reveals the panel, creating it beside the active editor if needed. Keeps focus in the editor. */
  static createOrShow(extensionUri: vscode.Uri, handlers: FourierPanelHandlers): FourierPanel {
    const open = FourierPanel.instance;
    if (open) return open.adopt(handlers);
    const panel = WebviewPanelBase.openBeside(FourierPanel.viewType, 'Neuron Spectra', extensionUri);
    return new FourierPanel(panel, extensionUri, handlers, undefined);
  }

  /**
   * For a WebviewPanelSerializer registered for `neuronLens.fourier`: takes over a panel VS Code
   * restored after a reload. The page restores its own view (selected neuron, log colours); the
   * band, window and scale it last used are in `restoredOptions`, for the owner to recompute the
   * spectra with before calling showSpectra.
   */
  static revive(panel: vscode.WebviewPanel, state: unknown, extensionUri: vscode.Uri, handlers: FourierPanelHandlers): FourierPanel {
    FourierPanel.instance?.dispose();
    WebviewPanelBase.restoreOptions(panel, extensionUri);
    return new FourierPanel(panel, extensionUri, handlers, optionsFromState(state));
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    handlers: FourierPanelHandlers,
    readonly restoredOptions: SpectrumOptionsRequest | undefined,
  ) {
    super(panel, extensionUri, 'fourier', 'Neuron Spectra', handlers);
    FourierPanel.instance = this;
  }

  /** New spectra: another document, layer or component, or the answer to onSpectrumOptions. */
  showSpectra(data: SpectraData): void {
    this.spectra = data;
    this.error = undefined;
    this.panel.title = `Spectra: ${data.title}`;
    this.post({ type: 'spectra', data });
  }

  /**
   * The neuron highlighted in the editor changed elsewhere: plot it. Not replayed to a recreated
   * page, which restores the neuron the user last looked at from its own saved state.
   */
  selectNeuron(neuron: number): void {
    this.post({ type: 'selectNeuron', neuron });
  }

  /** The spectra could not be computed; the page keeps what it shows and says why, also after a reload. */
  showError(message: string): void {
    this.error = message;
    this.post({ type: 'error', message });
  }

  override dispose(): void {
    if (FourierPanel.instance === this) FourierPanel.instance = undefined;
    super.dispose();
  }

  protected override onReady(): void {
    if (this.spectra) this.post({ type: 'spectra', data: this.spectra });
    if (this.error) this.post({ type: 'error', message: this.error });
  }

  protected override onRequest(m: PanelRequest): void {
    switch (m.type) {
      case 'highlightNeuron':
        // Only a neuron the page was shown: a bigger number would name a neuron the model lacks.
        if (this.spectra?.neurons.includes(m.neuron)) this.handlers.onHighlightNeuron(m.neuron);
        break;
      case 'setSpectrumOptions':
        this.handlers.onSpectrumOptions({ band: m.band, window: m.window, scale: m.scale, ...(m.neurons ? { neurons: m.neurons } : {}) });
        break;
      case 'revealToken':
      case 'setFeatures':
      case 'setStatistic':
        // The heatmap panel's messages; this page never sends them.
        break;
    }
  }
}
