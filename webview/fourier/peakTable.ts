import type { SpectraData } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { formatFrequency, formatPeriod, formatValue } from '../shared/numberFormat';

/** The engine's false-alarm rate for a whole spectrum (src/engine/fourier.ts findPeaks). */
const ALPHA = 0.05;
const SEGMENTS = 16;

/**
 * The selected neuron's significant peaks as a table, and the rule that found them in words,
 * with this spectrum's numbers, so that "significant" means something the reader can check.
 */
export class PeakTable {
  readonly element: HTMLElement;
  private readonly body = h('tbody');
  private readonly empty = h('p', { class: 'note' });
  private readonly rule = h('p', { class: 'note rule' });

  constructor() {
    const head = h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'frequency'), h('th', {}, 'period'), h('th', {}, 'value'), h('th', {}, '× noise floor')),
    );
    this.element = h('div', { class: 'peaks' }, h('table', { class: 'peak-table' }, head, this.body), this.empty, this.rule);
  }

  render(data: SpectraData, neuron: number): void {
    const peaks = data.peaks.find((p) => p.neuron === neuron)?.peaks ?? [];
    this.body.replaceChildren(
      ...peaks.map((p) =>
        h(
          'tr',
          { class: p.frequency >= data.band[0] && p.frequency <= data.band[1] ? 'in-band' : undefined },
          h('td', {}, formatFrequency(p.frequency)),
          h('td', {}, `every ${formatPeriod(p.period)} tokens`),
          h('td', {}, formatValue(p.value)),
          h('td', {}, `${formatValue(p.ratio)}×`),
        ),
      ),
    );
    this.element.querySelector('table')!.hidden = peaks.length === 0;
    this.empty.hidden = peaks.length > 0;
    this.empty.textContent = `Neuron ${neuron} has no significant peak: its spectrum is indistinguishable from noise at this threshold.`;
    const bins = data.frequencies.length;
    const threshold = Math.log2(Math.max(2, bins - 1) / ALPHA);
    const minFrequency = data.frequencies[2] ?? 0;
    this.rule.textContent =
      `A peak is a local maximum whose power is at least ${threshold.toFixed(1)}× the noise floor, the median power of its ` +
      `1/${SEGMENTS} of the spectrum (neurons have more power at low frequencies, so the floor is local). In white noise a bin's ` +
      `power exceeds c × the median with probability 2^−c; c = log2(${bins - 1} bins / ${ALPHA}) makes a false peak anywhere in ` +
      `this spectrum about a ${ALPHA * 100} % chance. Frequencies below ${formatFrequency(minFrequency)} (fewer than 2 cycles in ` +
      `${data.tokens} tokens) are trends, not periods.`;
  }
}
