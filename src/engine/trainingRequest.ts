import * as path from 'node:path';
import type { CorpusSource, TrainParams } from '../shared/protocol';
import { CELL_KINDS } from './cells/recurrentCell';
import { type Corpus, DEFAULT_CORPUS, DEFAULT_MAX_TEXT_BYTES, mobyDick, readTextFile } from './corpus';
import { NeuronLensError } from './errors';
import { requireInteger, requireNumber, requireOneOf, requireString } from './requestChecks';
import { TOKEN_LEVELS } from './tokenizer';
import type { TrainingRunOptions } from './trainingRun';

/** A train request from the editor, checked and turned into what runTraining takes. */
export function trainingRunOptions(p: TrainParams): TrainingRunOptions & { out: string } {
  return {
    corpus: trainingCorpus(p.corpus),
    cell: requireOneOf(p.cell, 'cell', CELL_KINDS),
    level: requireOneOf(p.level, 'level', TOKEN_LEVELS),
    hiddenSize: requireInteger(p.hiddenSize, 'hiddenSize', 1, 8192),
    numLayers: requireInteger(p.numLayers, 'numLayers', 1, 16),
    steps: requireInteger(p.steps, 'steps', 1),
    seqLen: p.seqLen === undefined ? undefined : requireInteger(p.seqLen, 'seqLen', 1, 10_000),
    batch: p.batch === undefined ? undefined : requireInteger(p.batch, 'batch', 1, 4096),
    learningRate: p.learningRate === undefined ? undefined : requireNumber(p.learningRate, 'learningRate', Number.MIN_VALUE),
    seed: p.seed === undefined ? undefined : requireInteger(p.seed, 'seed', Number.MIN_SAFE_INTEGER),
    out: path.resolve(requireString(p.out, 'out', { nonEmpty: true })),
    resume: p.resume === true,
    // 1 is refused by the thinning (it keeps the first and the last), so the range is 0 or 2 and up.
    ...(p.maxSnapshots === 0 ? { snapshotEvery: 0 } : {}),
    ...(p.maxSnapshots === undefined || p.maxSnapshots === 0
      ? {}
      : { maxSnapshots: requireInteger(p.maxSnapshots, 'maxSnapshots (0 for none, else at least 2)', 2, 10_000) }),
  };
}

/**
 * The training text: Moby-Dick, text the host sent, or files read here, joined by blank lines so
 * that no word runs across two files. Files are refused one by one with their name (binary, too
 * big, empty), and together they must stay under the same size limit as one file.
 */
export function trainingCorpus(source: CorpusSource): Corpus {
  const kind = (source as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'default':
      return mobyDick();
    case 'text': {
      const s = source as Extract<CorpusSource, { kind: 'text' }>;
      const name = requireString(s.name, 'corpus name', { nonEmpty: true });
      const text = requireString(s.text, 'corpus text');
      if (text.trim().length === 0) throw new NeuronLensError(`The training text ${name} is empty`);
      if (text.length > DEFAULT_MAX_TEXT_BYTES)
        throw new NeuronLensError(`The training text ${name} is larger than the ${mb(DEFAULT_MAX_TEXT_BYTES)} MB limit`);
      return { name, text };
    }
    case 'files': {
      const s = source as Extract<CorpusSource, { kind: 'files' }>;
      const name = requireString(s.name, 'corpus name', { nonEmpty: true });
      if (!Array.isArray(s.paths) || s.paths.length === 0) throw new NeuronLensError('Choose at least one file to train on');
      const texts = s.paths.map((p, i) => readTextFile(requireString(p, `corpus file ${i + 1}`, { nonEmpty: true })));
      const size = texts.reduce((n, t) => n + t.length, 0);
      if (size > DEFAULT_MAX_TEXT_BYTES) {
        throw new NeuronLensError(
          `The ${texts.length} files hold ${mb(size)} MB of text together, more than the ${mb(DEFAULT_MAX_TEXT_BYTES)} MB limit`,
        );
      }
      return { name, text: texts.join('\n\n') };
    }
    default:
      throw new NeuronLensError(
        `Unknown corpus kind ${JSON.stringify(kind)} (expected default, text or files; the default is ${DEFAULT_CORPUS})`,
      );
  }
}

function mb(n: number): string {
  return (n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0);
}
