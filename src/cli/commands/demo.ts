import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeArchitecture } from '../../engine/architecture';
import { writeFileAtomic } from '../../shared/atomicWrite';
import { mobyDick } from '../../engine/corpus';
import { generate } from '../../engine/generator';
import { type LoadedModel, MODEL_FILE, loadModel } from '../../engine/modelFolder';
import { neuronTrace, recordActivations } from '../../engine/recorder';
import { standardizedMeanDifference, topByMagnitude } from '../../engine/relevance';
import { type ReportSection, renderReport } from '../../engine/report';
import { runTraining } from '../../engine/trainingRun';
import { type Values, num, str } from '../args';
import { colourTokens, legend } from '../ansi';
import type { CommandContext } from '../context';
import { normalisedTrace } from './generate';

export const DEMO_OPTIONS = {
  dir: { type: 'string' },
  steps: { type: 'string' },
  retrain: { type: 'boolean' },
  report: { type: 'string' },
} as const;

export const DEMO_HELP = `neuron-lens demo [--dir neuron-lens-demo] [--steps 200] [--retrain] [--report neuron-lens-report.html]
  Trains a small character LSTM on Moby-Dick (or reuses the one in --dir), finds the neurons that
  respond to spaces, line ends and punctuation, prints generated text coloured by the space neuron
  and writes an HTML report.`;

const FEATURES: { name: string; test: (token: string) => boolean }[] = [
  { name: 'space', test: (t) => t === ' ' },
  { name: 'line end', test: (t) => t === '\n' || t === '\r' },
  { name: 'punctuation', test: (t) => /^[.,;:!?]$/.test(t) },
  { name: 'capital letter', test: (t) => /^\p{Lu}$/u.test(t) },
];

export async function demoCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = path.resolve(str(v, 'dir', 'neuron-lens-demo')!);
  const modelDir = path.join(dir, 'model');
  const reportFile = path.resolve(str(v, 'report', 'neuron-lens-report.html')!);
  const steps = num(v, 'steps', 200, { int: true, min: 1 })!;
  let loaded: LoadedModel;
  const existing = fs.existsSync(path.join(modelDir, MODEL_FILE)) && v.retrain !== true;
  if (existing) {
    ctx.io.err(`Using the model in ${modelDir} (--retrain to train it again)`);
    loaded = await loadModel(modelDir);
  } else {
    fs.rmSync(modelDir, { recursive: true, force: true });
    ctx.io.err(`Training a character LSTM (128 units) on Moby-Dick for ${steps} steps on the ${ctx.backend} backend…`);
    const run = await runTraining({
      corpus: 'moby-dick',
      cell: 'lstm',
      level: 'char',
      hiddenSize: 128,
      steps,
      evalEvery: 50,
      checkpointEvery: 50,
      out: modelDir,
      backend: ctx.backend,
      onProgress: (p) => {
        if (p.validationBits !== undefined && p.step % 50 === 0) {
          ctx.io.err(
            `  step ${p.step}/${p.totalSteps}: validation ${p.validationBits.toFixed(3)} bits/char, ${Math.round(p.tokensPerSecond)} chars/s`,
          );
        }
      },
    });
    loaded = run.loaded;
  }
  try {
    const t = loaded.training;
    const book = mobyDick().text;
    const passage = book.slice(book.indexOf('Call me Ishmael')).slice(0, 1500);
    const rec = await recordActivations(loaded, passage, { layers: [0], components: ['h'] });
    const layer = rec.layers[0]!;
    const hidden = layer.components.h!;
    const found = FEATURES.map((f) => {
      const mask = rec.tokens.map((tok) => f.test(tok.text));
      const d = standardizedMeanDifference(hidden, layer.units, mask);
      const [best] = topByMagnitude(d, 1);
      return { feature: f.name, neuron: best!, d: d[best!]! };
    });
    const space = found[0]!;
    const g = await generate(loaded, { prime: 'Call me ', length: 300, temperature: 0.7, seed: 7, layers: [0], components: ['h'] });
    const genTrace = neuronTrace(g.layers[0]!, 'h', space.neuron);
    const realTrace = neuronTrace(layer, 'h', space.neuron);

    ctx.io.out(`${describeArchitecture(loaded.model.architecture)}, backend ${ctx.backend}`);
    if (t?.validationBits !== undefined) {
      ctx.io.out(`validation ${t.validationBits.toFixed(3)} bits/char vs unigram entropy ${t.unigramEntropyBits!.toFixed(3)} bits/char`);
    }
    for (const f of found) ctx.io.out(`  ${f.feature.padEnd(15)} neuron ${String(f.neuron).padStart(3)}  d = ${f.d.toFixed(2)}`);
    ctx.io.out(`\nGenerated text coloured by hidden neuron ${space.neuron} (the space neuron):\n`);
    ctx.io.out(ctx.io.colour ? colourTokens(g.tokens, normalisedTrace(genTrace, 'signed')) : g.text);
    if (ctx.io.colour) ctx.io.out(`\n${legend()}  blue −1 … red +1`);

    const sections: ReportSection[] = [
      {
        heading: 'Model',
        table: [
          ['architecture', describeArchitecture(loaded.model.architecture)],
          ['parameters', loaded.model.parameterCount().toLocaleString('en')],
          ['backend', ctx.backend],
          ...(t
            ? ([
                [
                  'training',
                  `${t.steps} steps of ${t.batch} × ${t.seqLen} characters on ${t.corpus}, Adam lr ${t.learningRate}, seed ${t.seed}`,
                ],
                ['validation', `${t.validationBits?.toFixed(3)} bits/char (unigram entropy ${t.unigramEntropyBits?.toFixed(3)} bits/char)`],
                ['learning curve', t.history.map((h) => `step ${h.step}: ${h.validationBits?.toFixed(3)}`).join(', ')],
              ] as [string, string][])
            : []),
        ],
      },
      {
        heading: 'Neurons that respond to features of interest',
        paragraphs: [
          "For each feature, the hidden neuron with the largest standardized mean difference (Cohen's d) between its value on the feature's characters and on all other characters of the opening of chapter 1.",
        ],
        table: found.map((f) => [f.feature, `neuron ${f.neuron}, d = ${f.d.toFixed(2)}`]),
      },
      {
        heading: `Hidden neuron ${space.neuron}`,
        passages: [
          {
            title: 'Generated text',
            caption: `prime "Call me ", temperature 0.7, seed 7`,
            tokens: g.tokens,
            values: genTrace,
            normalised: normalisedTrace(genTrace, 'signed'),
          },
          { title: 'Moby-Dick, chapter 1', tokens: rec.tokens, values: realTrace, normalised: normalisedTrace(realTrace, 'signed') },
        ],
      },
    ];
    await writeFileAtomic(reportFile, renderReport('Neuron Lens demo', sections));
    ctx.io.out(`\nReport: ${reportFile}`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}
