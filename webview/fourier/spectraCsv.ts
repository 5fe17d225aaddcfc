import type { FromWebview, SpectraData } from '../../src/shared/panelMessages';
import { csvExport, fileName } from '../shared/exportMessages';

/** Frequencies down, neurons across: the shape spreadsheet and plotting tools expect of spectra. */
export function spectraCsv(data: SpectraData): FromWebview {
  const bins = data.frequencies.length;
  const rows = data.neurons.length;
  const header = ['frequency', 'period_tokens', ...data.neurons.map((n) => `neuron_${n}`)];
  function* lines(): Generator<(string | number | undefined)[]> {
    for (let k = 0; k < bins; k++) {
      const f = data.frequencies[k]!;
      const row: (string | number | undefined)[] = [f, f > 0 ? 1 / f : undefined];
      for (let r = 0; r < rows; r++) row.push(data.values[r * bins + k]!);
      yield row;
    }
  }
  return csvExport(header, lines(), fileName(data.title, `${data.scale} spectra`, 'csv'));
}
