import { parseNeuronList } from '../../engine/experiment';
import { NeuronLensError } from '../../engine/errors';
import {
  type SpectrumMode,
  type SpectrumScale,
  type SpectrumWindow,
  findPeaks,
  neuronSpectra,
  rankByBand,
  spectrumRow,
} from '../../engine/fourier';
import { type Values, num, oneOf, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';
import { experimentFromFlags } from './relevance';

export const FOURIER_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  experiment: { type: 'string' },
  neurons: { type: 'string' },
  band: { type: 'string' },
  window: { type: 'string' },
  scale: { type: 'string' },
  mode: { type: 'string' },
  top: { type: 'string' },
} as const;

export const FOURIER_HELP = `neuron-lens fourier --model DIR (--text STR | --file PATH) [--experiment FILE] [--neurons 0:8,12] [--band LO:HI] [--window none|hann] [--scale power|amplitude] [--mode improved|faithful] [--top K] [--layer L] [--component NAME] [--json]
  Spectrum of each neuron's activity over the tokens (frequency in cycles per token, 0 to 0.5; mean removed),
  its significant peaks (power above log2(bins/0.05) × the local median: about a 5% chance of any false peak
  in white noise), and the neurons ranked by their power inside the band of interest (default 0.4:0.5).
  --json adds the frequencies and every neuron's spectrum.`;

function parseBand(spec: string): [number, number] {
  const m = /^\s*([\d.]+)\s*[:,-]\s*([\d.]+)\s*$/.exec(spec);
  const band = m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  if (!band || !band.every(Number.isFinite) || band[0] > band[1]) throw new NeuronLensError(`--band must look like 0.4:0.5, not "${spec}"`);
  return [Math.max(0, band[0]), Math.min(0.5, band[1])];
}

export async function fourierCommand(v: Values, ctx: CommandContext): Promise<number> {
  const experiment = experimentFromFlags(v);
  const band = str(v, 'band') ? parseBand(str(v, 'band')!) : experiment.band;
  const window = oneOf<SpectrumWindow>(v, 'window', ['none', 'hann'], experiment.window);
  const scale = oneOf<SpectrumScale>(v, 'scale', ['power', 'amplitude'], experiment.spectrumScale);
  const mode = oneOf<SpectrumMode>(v, 'mode', ['improved', 'faithful'], 'improved');
  const top = num(v, 'top', experiment.topK, { int: true, min: 1 })!;
  return withRecordedComponent(v, experiment, (r) => {
    const neurons = str(v, 'neurons')
      ? parseNeuronList(str(v, 'neurons')!, r.units)
      : experiment.neurons.length
        ? parseNeuronList(experiment.neurons.join(','), r.units)
        : Array.from({ length: r.units }, (_, i) => i);
    const spectra = neuronSpectra(r.values, r.units, neurons, { window, scale, mode });
    const ranking = rankByBand(spectra, band[0], band[1]);
    const peaks = neurons.map((neuron, row) => ({ neuron, peaks: findPeaks(spectra, row) }));
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          tokens: r.tokens.length,
          layer: r.layer,
          component: r.component,
          band,
          window,
          scale,
          mode,
          ranking: ranking.map((x) => ({ neuron: x.neuron, score: round(x.score) })),
          peaks: peaks.map((p) => ({
            neuron: p.neuron,
            peaks: p.peaks.map((k) => ({ ...k, value: round(k.value), ratio: round(k.ratio) })),
          })),
          frequencies: Array.from(spectra.frequencies, round),
          spectra: neurons.map((neuron, row) => ({ neuron, values: Array.from(spectrumRow(spectra, row), round) })),
        }),
      );
      return 0;
    }
    ctx.io.out(
      `${r.tokens.length} tokens, layer ${r.layer} ${r.component}, ${neurons.length} neurons; ${scale} spectrum, window ${window}`,
    );
    ctx.io.out(`Band ${band[0]}–${band[1]} cycles/token, strongest neurons:`);
    for (const x of ranking.slice(0, top)) {
      const p = peaks.find((q) => q.neuron === x.neuron)!.peaks[0];
      const peak = p ? `  peak at ${p.frequency.toFixed(4)} (every ${p.period.toFixed(1)} tokens, ${p.ratio.toFixed(0)}× the floor)` : '';
      ctx.io.out(`  neuron ${String(x.neuron).padStart(4)}  band ${scale} ${x.score.toExponential(3)}${peak}`);
    }
    const withPeaks = peaks.filter((p) => p.peaks.length > 0);
    ctx.io.out(`${withPeaks.length} of ${neurons.length} neurons have significant peaks`);
    return 0;
  });
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
