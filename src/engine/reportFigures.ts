import type { ValueRange } from './cells/recurrentCell';
import { divergingColour, normalise } from './colourScale';
import { type Spectra, spectrumRow } from './fourier';
import { encodePng } from './pngEncoder';
import { escapeHtml } from './report';

/** A figure for an HTML report: a PNG (shown scaled, pixels kept sharp) or an inline SVG. */
export interface ReportFigure {
  caption: string;
  png?: { data: Buffer; width: number; height: number; displayHeight: number };
  svg?: string;
}

/**
 * Neurons × tokens as a PNG, one pixel per cell. Beyond `maxColumns` tokens, each column shows
 * the value of largest magnitude among the tokens it covers, so a single spike stays visible.
 */
export function heatmapFigure(
  values: Float32Array,
  units: number,
  colour: { range: ValueRange; scale: number },
  caption: string,
  maxColumns = 2000,
): ReportFigure {
  const tokens = values.length / units;
  const width = Math.max(1, Math.min(tokens, maxColumns));
  const per = Math.ceil(tokens / width);
  const rgba = new Uint8Array(width * units * 4);
  for (let x = 0; x < width; x++) {
    for (let n = 0; n < units; n++) {
      let best = 0;
      for (let t = x * per; t < Math.min(tokens, (x + 1) * per); t++) {
        const v = normalise(values[t * units + n]!, colour.range, colour.scale);
        if (Math.abs(v) > Math.abs(best)) best = v;
      }
      const [r, g, b] = divergingColour(best, 'light');
      rgba.set([r, g, b, 255], (n * width + x) * 4);
    }
  }
  return {
    caption,
    png: { data: encodePng(width, units, rgba), width, height: units, displayHeight: Math.min(600, Math.max(units, units * 4)) },
  };
}

/** Five stops of viridis: perceptually uniform and readable in grey. */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function viridis(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/** Neurons × frequency on a log colour scale (power spans decades), pooled by maximum. */
export function spectraFigure(s: Spectra, caption: string, maxColumns = 1000): ReportFigure {
  const bins = s.frequencies.length;
  const rows = s.neurons.length;
  const width = Math.max(1, Math.min(bins, maxColumns));
  const per = Math.ceil(bins / width);
  let max = 0;
  for (const v of s.values) max = Math.max(max, v);
  const floor = max * 1e-6;
  const logRange = Math.log10(max / floor || 1);
  const rgba = new Uint8Array(width * rows * 4);
  for (let r = 0; r < rows; r++) {
    const row = spectrumRow(s, r);
    for (let x = 0; x < width; x++) {
      let best = 0;
      for (let k = x * per; k < Math.min(bins, (x + 1) * per); k++) best = Math.max(best, row[k]!);
      const t = best > floor ? Math.log10(best / floor) / logRange : 0;
      rgba.set([...viridis(t), 255], (r * width + x) * 4);
    }
  }
  return {
    caption,
    png: { data: encodePng(width, rows, rgba), width, height: rows, displayHeight: Math.min(400, Math.max(rows, rows * 4)) },
  };
}

/** One neuron's spectrum as an SVG line chart, the band shaded and the peaks marked. */
export function spectrumChartSvg(
  frequencies: Float64Array,
  values: ArrayLike<number>,
  peaks: readonly { frequency: number; period: number; value: number }[],
  band: [number, number],
  label: string,
): string {
  const W = 640;
  const H = 180;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  let max = 0;
  for (let k = 0; k < values.length; k++) max = Math.max(max, values[k]!);
  max = max > 0 ? max : 1;
  const x = (f: number) => pad.left + (f / 0.5) * (W - pad.left - pad.right);
  const y = (v: number) => H - pad.bottom - (v / max) * (H - pad.top - pad.bottom);
  const step = Math.max(1, Math.floor(values.length / 1500));
  const points: string[] = [];
  for (let k = 0; k < values.length; k += step) points.push(`${x(frequencies[k]!).toFixed(1)},${y(values[k]!).toFixed(1)}`);
  const ticks = [0, 0.1, 0.2, 0.3, 0.4, 0.5]
    .map(
      (f) =>
        `<line x1="${x(f)}" x2="${x(f)}" y1="${H - pad.bottom}" y2="${H - pad.bottom + 4}" stroke="#666"/><text x="${x(f)}" y="${H - 8}" text-anchor="middle">${f}</text>`,
    )
    .join('');
  const marks = peaks
    .slice(0, 5)
    .map(
      (p) =>
        `<circle cx="${x(p.frequency).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3" fill="#c00"/><text x="${x(p.frequency).toFixed(1)}" y="${Math.max(10, y(p.value) - 6).toFixed(1)}" text-anchor="middle" fill="#c00">${p.frequency.toFixed(3)} (every ${p.period.toFixed(1)})</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="10" font-family="sans-serif" role="img" aria-label="${escapeHtml(label)}">
<rect x="${x(band[0])}" y="${pad.top}" width="${Math.max(1, x(band[1]) - x(band[0]))}" height="${H - pad.top - pad.bottom}" fill="#3794ff22"/>
<line x1="${pad.left}" x2="${W - pad.right}" y1="${H - pad.bottom}" y2="${H - pad.bottom}" stroke="#666"/>${ticks}
<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${max.toPrecision(2)}</text><text x="${pad.left - 4}" y="${H - pad.bottom}" text-anchor="end">0</text>
<polyline fill="none" stroke="#1a5fb4" stroke-width="1" points="${points.join(' ')}"/>${marks}
</svg>`;
}
