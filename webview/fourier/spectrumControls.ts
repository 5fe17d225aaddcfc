import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { h } from '../shared/createElement';
import type { FourierViewState } from './fourierState';

export interface SpectrumControlEvents {
  /** Band, window or scale changed: the engine must recompute. */
  options(band: [number, number], window: FourierViewState['window'], scale: FourierViewState['scale']): void;
  /** Only the colour mapping changed: the page redraws on its own. */
  log(on: boolean): void;
  exportSurface(): void;
  exportSpectrum(): void;
  exportCsv(): void;
}

/** The toolbar: band of interest as two numbers, window, value scale, log colours, exports. */
export class SpectrumControls {
  readonly element: HTMLElement;
  private readonly lo = h('vscode-textfield', {
    type: 'number',
    min: 0,
    max: 0.5,
    step: 0.01,
    id: 'band-lo',
    'aria-label': 'Band from (cycles per token)',
  });
  private readonly hi = h('vscode-textfield', {
    type: 'number',
    min: 0,
    max: 0.5,
    step: 0.01,
    id: 'band-hi',
    'aria-label': 'Band to (cycles per token)',
  });
  private readonly window = h(
    'vscode-single-select',
    { id: 'window', 'aria-label': 'Window' },
    h('vscode-option', { value: 'none' }, 'none'),
    h('vscode-option', { value: 'hann' }, 'Hann'),
  );
  private readonly scale = h(
    'vscode-single-select',
    { id: 'scale', 'aria-label': 'Values' },
    h('vscode-option', { value: 'power' }, 'power'),
    h('vscode-option', { value: 'amplitude' }, 'amplitude'),
  );
  private readonly logBox = h('vscode-checkbox', { id: 'log-colour', label: 'log colours' });

  constructor(private readonly events: SpectrumControlEvents) {
    const button = (label: string, title: string, action: () => void): HTMLElement => {
      const b = h('vscode-button', { title }, label);
      b.addEventListener('click', action);
      return b;
    };
    this.element = h(
      'div',
      { class: 'controls' },
      h(
        'span',
        { class: 'field band', title: 'Band of interest: neurons are ranked by their power inside it' },
        'Band',
        this.lo,
        '–',
        this.hi,
        'cycles/token',
      ),
      h(
        'span',
        { class: 'field', title: 'Taper applied before the transform: Hann reduces leakage from strong peaks into neighbouring bins' },
        'Window',
        this.window,
      ),
      h('span', { class: 'field' }, 'Values', this.scale),
      this.logBox,
      h(
        'span',
        { class: 'exports' },
        button('PNG: surface', 'Export the heat surface as a PNG image', () => events.exportSurface()),
        button('PNG: spectrum', 'Export the selected neuron’s spectrum as a PNG image', () => events.exportSpectrum()),
        button('CSV', 'Export every spectrum (frequencies × neurons) as CSV', () => events.exportCsv()),
      ),
    );
    for (const field of [this.lo, this.hi]) field.addEventListener('change', () => this.commitBand());
    for (const select of [this.window, this.scale]) select.addEventListener('change', () => this.commitBand());
    this.logBox.addEventListener('change', () => events.log(this.logBox.checked));
  }

  show(state: FourierViewState): void {
    // Leave a field alone while it is being typed in; its change event will commit it.
    if (!this.lo.matches(':focus-within')) this.lo.value = String(state.band[0]);
    if (!this.hi.matches(':focus-within')) this.hi.value = String(state.band[1]);
    this.lo.invalid = false;
    this.hi.invalid = false;
    this.window.value = state.window;
    this.scale.value = state.scale;
    this.logBox.checked = state.logColour;
  }

  private commitBand(): void {
    const number = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));
    const lo = number(this.lo.value);
    const hi = number(this.hi.value);
    const valid = (v: number): boolean => Number.isFinite(v) && v >= 0 && v <= 0.5;
    const ok = valid(lo) && valid(hi) && lo <= hi;
    this.lo.invalid = !ok;
    this.hi.invalid = !ok;
    this.lo.title = this.hi.title = ok ? '' : 'The band needs 0 ≤ from ≤ to ≤ 0.5 cycles/token';
    if (!ok) return;
    this.events.options([lo, hi], this.window.value as FourierViewState['window'], this.scale.value as FourierViewState['scale']);
  }
}
