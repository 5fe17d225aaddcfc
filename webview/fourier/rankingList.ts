import type { SpectraData } from '../../src/shared/panelMessages';
import { h } from '../shared/createElement';
import { formatFrequency, formatValue } from '../shared/numberFormat';

/**
 * Neurons ordered by the engine's band score (the summed power of their bins inside the band),
 * best first. Picking one plots its spectrum and asks the extension to highlight it in the editor.
 */
export class RankingList {
  readonly element: HTMLElement;
  private readonly heading = h('h2');
  private readonly note = h('p', { class: 'note' });
  private readonly list = h('ol', { class: 'ranking-list' });
  private data: SpectraData | undefined;

  constructor(private readonly pick: (neuron: number) => void) {
    this.element = h(
      'aside',
      { class: 'ranking', 'aria-label': 'Neurons ranked by power in the band' },
      this.heading,
      this.note,
      this.list,
    );
    this.list.addEventListener('click', (e) => {
      const item = (e.target as Element).closest<HTMLElement>('[data-neuron]');
      if (item) this.pick(Number(item.dataset.neuron));
    });
  }

  render(data: SpectraData, selectedNeuron: number | undefined, viewBand: [number, number]): void {
    if (data !== this.data) this.build(data);
    this.data = data;
    const stale = viewBand[0] !== data.band[0] || viewBand[1] !== data.band[1];
    this.heading.textContent = `Power in ${formatFrequency(data.band[0])}–${formatFrequency(data.band[1])}`;
    this.note.textContent = stale
      ? `Ranking for the band above; waiting for the extension to rank ${formatFrequency(viewBand[0])}–${formatFrequency(viewBand[1])}…`
      : 'Summed power of each neuron’s bins inside the band. Click to plot it and highlight it in the editor.';
    this.element.classList.toggle('stale', stale);
    for (const item of this.list.querySelectorAll<HTMLElement>('[data-neuron]')) {
      const selected = Number(item.dataset.neuron) === selectedNeuron;
      item.parentElement!.classList.toggle('selected', selected);
      if (selected) item.setAttribute('aria-current', 'true');
      else item.removeAttribute('aria-current');
    }
  }

  private build(data: SpectraData): void {
    const best = data.ranking[0]?.score ?? 0;
    const peakIn = new Map(
      data.peaks.map((p) => [p.neuron, p.peaks.find((k) => k.frequency >= data.band[0] && k.frequency <= data.band[1])] as const),
    );
    this.list.replaceChildren(
      ...data.ranking.map((r, i) => {
        const bar = h('span', { class: 'bar' });
        bar.style.width = `${best > 0 ? Math.max(1, (100 * r.score) / best) : 0}%`;
        const peak = peakIn.get(r.neuron);
        return h(
          'li',
          {},
          h(
            'button',
            { type: 'button', 'data-neuron': r.neuron, title: `Plot neuron ${r.neuron} and highlight it in the editor` },
            h('span', { class: 'rank' }, `${i + 1}`),
            h('span', { class: 'neuron' }, `neuron ${r.neuron}`),
            h('span', { class: 'bar-track' }, bar),
            h('span', { class: 'score' }, formatValue(r.score)),
            peak
              ? h('span', { class: 'peak-tag', title: 'Significant peak inside the band' }, `peak ${formatFrequency(peak.frequency)}`)
              : null,
          ),
        );
      }),
    );
  }
}
