import * as path from 'node:path';
import { writeFileAtomic } from '../../shared/atomicWrite';
import { divergingColour, robustScale } from '../../engine/colourScale';
import { featureRelevance } from '../../engine/featureRelevance';
import { findPeaks, neuronSpectra, rankByBand, spectrumRow } from '../../engine/fourier';
import { summarizeModel } from '../../engine/modelSummary';
import { neuronTrace } from '../../engine/recorder';
import { RELEVANCE_STATISTICS } from '../../shared/relevanceStatistics';
import { type ReportSection, renderReport } from '../../engine/report';
import { heatmapFigure, spectraFigure, spectrumChartSvg } from '../../engine/reportFigures';
import { summaryLines } from '../../shared/modelSummary';
import { type Values, str } from '../args';
import type { CommandContext } from '../context';
import { RECORD_INPUT_OPTIONS, withRecordedComponent } from '../recordedInput';
import { normalisedTrace } from './generate';
import { experimentFromFlags } from './relevance';

export const REPORT_OPTIONS = {
  ...RECORD_INPUT_OPTIONS,
  experiment: { type: 'string' },
  feature: { type: 'string', multiple: true },
  statistic: { type: 'string' },
  top: { type: 'string' },
  out: { type: 'string' },
} as const;

export const REPORT_HELP = `neuron-lens report --model DIR (--text STR | --file PATH) [--experiment FILE] [--feature F]... [--statistic S] [--top K] [--layer L] [--component NAME] [--out neuron-lens-analysis.html]
  Writes a self-contained HTML report: the model, relevance of every neuron to the features of interest,
  the text coloured by the best hypothesis, the neurons × tokens heatmap, and the spectra (heat surface,
  band ranking and the strongest neurons' spectra with their peaks).`;

/** Tokens shown as coloured text; the heatmap and spectra use them all. */
const PASSAGE_TOKENS = 3000;

export async function reportCommand(v: Values, ctx: CommandContext): Promise<number> {
  const experiment = experimentFromFlags(v);
  const out = path.resolve(str(v, 'out', 'neuron-lens-analysis.html')!);
  return withRecordedComponent(v, experiment, async (r) => {
    const label = `layer ${r.layer} ${r.component}`;
    const sections: ReportSection[] = [];
    sections.push({ heading: 'Model', paragraphs: summaryLines(summarizeModel(r.loaded)) });

    const texts = r.tokens.map((t) => t.text);
    const table = featureRelevance(r.values, r.units, texts, experiment.features, experiment.statistic, experiment.topK);
    const strongest = Math.max(1e-9, ...table.features.flatMap((f) => f.top.map((t) => Math.abs(t.score - table.neutral))));
    sections.push({
      heading: 'Features of interest',
      paragraphs: [
        `${RELEVANCE_STATISTICS[table.statistic].label}; ${table.neutral} means unrelated. Hypotheses: the ${experiment.topK} neurons farthest from it per feature.`,
      ],
      grid: {
        header: ['feature', 'tokens', ...Array.from({ length: experiment.topK }, (_, i) => `#${i + 1}`)],
        rows: table.features.map((f) => [
          { text: JSON.stringify(f.feature) },
          { text: String(f.matches) },
          ...f.top.map((t) => ({
            text: `n${t.neuron} ${t.score.toFixed(3)}`,
            background: divergingColour((t.score - table.neutral) / strongest, 'light'),
          })),
        ]),
      },
    });

    const lead = table.features.find((f) => f.top.length > 0);
    if (lead) {
      const neuron = lead.top[0]!.neuron;
      const shown = Math.min(r.tokens.length, PASSAGE_TOKENS);
      const trace = neuronTrace({ layer: r.layer, units: r.units, components: { [r.component]: r.values } }, r.component, neuron);
      sections.push({
        heading: `Neuron ${neuron} on the text`,
        passages: [
          {
            title: `${label} neuron ${neuron}: best hypothesis for ${JSON.stringify(lead.feature)}`,
            caption: shown < r.tokens.length ? `First ${shown} of ${r.tokens.length} tokens.` : undefined,
            tokens: r.tokens.slice(0, shown),
            values: trace.subarray(0, shown),
            normalised: normalisedTrace(trace, r.range).subarray(0, shown),
          },
        ],
      });
    }

    sections.push({
      heading: 'Activation heatmap',
      figures: [
        heatmapFigure(
          r.values,
          r.units,
          { range: r.range, scale: robustScale(r.values) },
          `${label}: neurons (rows, 0 at the top) × ${r.tokens.length} tokens (columns); blue negative, red positive.`,
        ),
      ],
    });

    if (r.tokens.length >= 2) {
      const spectra = neuronSpectra(r.values, r.units, undefined, { window: experiment.window, scale: experiment.spectrumScale });
      const [lo, hi] = experiment.band;
      const ranking = rankByBand(spectra, lo, hi);
      sections.push({
        heading: 'Spectra',
        paragraphs: [
          `Mean removed, window ${experiment.window}, ${experiment.spectrumScale} from 0 to 0.5 cycles per token. Peaks: local maxima at least log2(bins / 0.05) × the local median power (about a 5 % chance of any false peak in white noise) and at least two cycles long.`,
          `Strongest in the band ${lo}–${hi}: ${ranking
            .slice(0, experiment.topK)
            .map((x) => `n${x.neuron}`)
            .join(', ')}.`,
        ],
        figures: [
          spectraFigure(spectra, `${label}: neurons (rows) × frequency 0–0.5 (columns), log colour scale.`),
          ...ranking.slice(0, 3).map((x) => ({
            caption: `Neuron ${x.neuron}: ${experiment.spectrumScale} spectrum, band ${lo}–${hi} shaded, significant peaks marked.`,
            svg: spectrumChartSvg(
              spectra.frequencies,
              spectrumRow(spectra, x.row),
              findPeaks(spectra, x.row),
              [lo, hi],
              `neuron ${x.neuron}`,
            ),
          })),
        ],
      });
    }

    await writeFileAtomic(out, renderReport(`Neuron Lens analysis: ${label}, ${r.tokens.length} tokens`, sections));
    ctx.io.out(`Wrote ${out}`);
    return 0;
  });
}
