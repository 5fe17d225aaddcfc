import { loadCorpus } from '../../engine/corpus';
import { NeuronLensError } from '../../engine/errors';
import type { LanguageModel } from '../../engine/languageModel';
import { loadModel } from '../../engine/modelFolder';
import type { ModelTokenizer } from '../../engine/modelTokenizer';
import { maximizeActivation } from '../../engine/optimization/activationMaximization';
import { type CorpusSnippet, topCorpusSnippets } from '../../engine/optimization/corpusSnippets';
import { TARGET_POSITIONS, type Target, type TargetPosition, resolveTarget } from '../../engine/optimization/targets';
import { colourTokens, printable } from '../ansi';
import { type Values, num, oneOf, required, str } from '../args';
import type { CommandContext } from '../context';

/** Flags naming a target, shared with `saliency`. */
export const TARGET_OPTIONS = {
  model: { type: 'string' },
  neuron: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
  logit: { type: 'string' },
  position: { type: 'string' },
} as const;

export const TARGET_HELP = `  --neuron N [--layer L] [--component NAME]   a neuron (layer 0 and component h by default), or
  --logit TOKEN                               the next-token logit of TOKEN (its text, e.g. "e", or #ID); for a
                                              classifier, a class's logit (its name, or #INDEX)
  --position last|every|mean                  read after the last token, summed or averaged over every token (default:
                                              last; a classifier's class score: its pooling, last or mean)`;

export function targetFromFlags(v: Values, model: LanguageModel, tokenizer: ModelTokenizer): Target {
  // A classifier's class logit is read as its head reads it, so the target is its real class score.
  const arch = model.architecture;
  const fallback: TargetPosition = arch.task === 'classifier' && str(v, 'logit') !== undefined ? arch.pooling : 'last';
  const position = oneOf<TargetPosition>(v, 'position', TARGET_POSITIONS, fallback);
  const neuron = num(v, 'neuron', undefined, { int: true, min: 0 });
  const logit = str(v, 'logit');
  if ((neuron === undefined) === (logit === undefined))
    throw new NeuronLensError('Name the target with either --neuron N or --logit TOKEN');
  if (logit !== undefined) {
    if (arch.task === 'classifier') {
      // A classifier's logits are its classes: by name or by #index.
      const id = /^#\d+$/.test(logit) ? Number(logit.slice(1)) : arch.classes.indexOf(logit);
      if (id < 0)
        throw new NeuronLensError(
          `--logit ${JSON.stringify(logit)} is not a class of this classifier (${arch.classes.join(', ')}; or #INDEX)`,
        );
      return resolveTarget(model, { kind: 'logit', token: id, position });
    }
    const id = /^#\d+$/.test(logit) ? Number(logit.slice(1)) : tokenizer.vocabulary.has(logit) ? tokenizer.vocabulary.id(logit) : -1;
    if (id < 0) throw new NeuronLensError(`--logit ${JSON.stringify(logit)} is not in the model's vocabulary (use its exact text or #ID)`);
    return resolveTarget(model, { kind: 'logit', token: id, position });
  }
  return resolveTarget(model, {
    kind: 'neuron',
    layer: num(v, 'layer', 0, { int: true, min: 0 })!,
    component: str(v, 'component', 'h')!,
    neuron: neuron!,
    position,
  });
}

export const MAXIMIZE_OPTIONS = {
  ...TARGET_OPTIONS,
  length: { type: 'string' },
  starts: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  entropy: { type: 'string' },
  polish: { type: 'string' },
  seed: { type: 'string' },
  corpus: { type: 'string' },
  top: { type: 'string' },
} as const;

export const MAXIMIZE_HELP = `neuron-lens maximize --model DIR (--neuron N | --logit TOKEN) [--layer L] [--component NAME] [--position last|every|mean]
                     [--length L] [--starts S] [--steps K] [--lr X] [--entropy W] [--polish K] [--seed N] [--corpus moby-dick|FILE [--top K]] [--json]
  Finds token sequences of length L (default 20) that drive the target as high as possible: Adam on a softmax
  relaxation of the input (one distribution over the vocabulary per position, temperature annealed 1 → 0.05)
  from S seeded random starts (default 8) for K steps (default 200), then decodes each start to real tokens and
  re-scores it with the model. With --corpus, the top K (default 3) real snippets of the same length are shown too.
${TARGET_HELP}
  --entropy W   penalise the mean entropy per position (default 0)
  --polish K    after decoding, try the K tokens the relaxation weighted most at each position in turn and keep
                any that raises the real activation (default 16; 0 reports the plain argmax decoding)`;

export async function maximizeCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const length = num(v, 'length', 20, { int: true, min: 1, max: 10_000 })!;
  const corpusSpec = str(v, 'corpus');
  const corpusText = corpusSpec !== undefined ? loadCorpus(corpusSpec).text : undefined;
  const loaded = await loadModel(dir);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const json = v.json === true;
  try {
    const target = targetFromFlags(v, loaded.model, loaded.tokenizer);
    const steps = num(v, 'steps', 200, { int: true, min: 1 })!;
    const result = await maximizeActivation(loaded.model, loaded.tokenizer.vocabulary, target, {
      length,
      starts: num(v, 'starts', 8, { int: true, min: 1, max: 4096 }),
      steps,
      learningRate: num(v, 'lr', undefined, { min: 0 }),
      entropyWeight: num(v, 'entropy', undefined, { min: 0 }),
      polish: num(v, 'polish', undefined, { int: true, min: 0 }),
      seed: num(v, 'seed', undefined, { int: true }),
      signal: controller.signal,
      onProgress: (step) => {
        if (!json && ctx.verbose && (step % 20 === 0 || step === steps)) ctx.io.err(`step ${step}/${steps}`);
      },
    });
    const snippets: CorpusSnippet[] =
      corpusText === undefined
        ? []
        : await topCorpusSnippets(loaded, target, corpusText, length, {
            top: num(v, 'top', 3, { int: true, min: 1 }),
            signal: controller.signal,
          });
    if (json) {
      ctx.io.out(JSON.stringify({ ...result, corpus: corpusSpec, snippets, backend: ctx.backend }));
      return 0;
    }
    ctx.io.out(
      `${result.target}: ${result.sequences.length} starts × ${steps} steps, length ${length} (${result.stepsPerSecond.toFixed(1)} steps/s on ${ctx.backend})`,
    );
    const scale = Math.max(
      1e-9,
      ...result.sequences.flatMap((s) => s.trace.map(Math.abs)),
      ...snippets.flatMap((s) => s.trace.map(Math.abs)),
    );
    const show = (label: string, activation: number, tokens: string[], trace: number[], extra = '') => {
      const text = ctx.io.colour
        ? colourTokens(
            tokens.map((text) => ({ text })),
            trace.map((x) => x / scale),
          )
        : JSON.stringify(printable(tokens.join('')));
      ctx.io.out(`${label.padEnd(12)} ${activation.toFixed(4).padStart(9)}${extra}  ${text}`);
    };
    const order = result.sequences.map((_, i) => i).sort((a, b) => result.sequences[b]!.activation - result.sequences[a]!.activation);
    for (const i of order) {
      const s = result.sequences[i]!;
      show(
        `start ${s.start}${i === result.best ? ' *' : ''}`,
        s.activation,
        s.tokens,
        s.trace,
        `  (relaxed ${s.relaxedObjective.toFixed(4)})`,
      );
    }
    if (snippets.length) {
      ctx.io.out(`top real snippets of ${corpusSpec} (scored alone, from a zero state):`);
      for (const s of snippets) show(`token ${s.token}`, s.activation, s.tokens, s.trace);
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    loaded.model.dispose();
  }
}
