/**
 * The worker's word-vector requests: training vectors on a corpus into a file, and neighbour or
 * analogy queries on a vectors file. The last file queried stays indexed, since a user asks
 * several questions of the same vectors in a row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineMethods } from '../../shared/protocol';
import { NeuronLensError } from '../errors';
import { requireInteger, requireString } from '../requestChecks';
import { trainingCorpus } from '../trainingRequest';
import { VectorIndex } from './vectorQueries';
import { trainWord2Vec } from './word2vec';
import { readWordVectors, writeWordVectors } from './wordVectors';

type Params<M extends keyof EngineMethods> = EngineMethods[M]['params'];
type Result<M extends keyof EngineMethods> = EngineMethods[M]['result'];

function absolute(file: unknown, name: string): string {
  const f = requireString(file, name, { nonEmpty: true });
  if (!path.isAbsolute(f)) throw new NeuronLensError(`${name} must be an absolute path (got ${f})`);
  return f;
}

export async function trainWordVectorsRequest(
  params: Params<'trainWordVectors'>,
  signal?: AbortSignal,
  onProgress?: (message: string, fraction: number) => void,
): Promise<Result<'trainWordVectors'>> {
  const out = absolute(params.out, 'out');
  const corpus = trainingCorpus(params.corpus);
  const result = await trainWord2Vec(corpus.text, {
    dim: requireInteger(params.dim, 'dim', 2, 1000),
    epochs: requireInteger(params.epochs, 'epochs', 1, 100),
    signal,
    onProgress: (p) =>
      onProgress?.(
        `epoch ${p.epoch}/${p.epochs} · loss ${p.loss.toFixed(3)} · ${Math.round(p.tokensPerSecond).toLocaleString('en')} words/s`,
        p.tokensDone / p.totalTokens,
      ),
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  writeWordVectors(out, result.vectors, 'word2vec-text');
  return {
    file: out,
    words: result.vectors.words.length,
    dim: result.vectors.dim,
    epochs: result.history.map((e) => ({ epoch: e.epoch, loss: e.loss })),
    elapsedMs: result.elapsedMs,
    cancelled: result.cancelled,
  };
}

export class WordVectorQueries {
  private cached: { file: string; mtimeMs: number; size: number; index: VectorIndex } | undefined;

  neighbours(params: Params<'wordNeighbours'>): Result<'wordNeighbours'> {
    const index = this.indexOf(absolute(params.file, 'file'));
    const top = requireInteger(params.top, 'top', 1, 1000);
    const { words, dim } = index.source;
    if (params.analogy) {
      if (!Array.isArray(params.analogy) || params.analogy.length !== 3)
        throw new NeuronLensError('An analogy needs three words: a : b :: c');
      const [a, b, c] = params.analogy.map((w, i) => requireString(w, `analogy word ${i + 1}`, { nonEmpty: true }));
      return { neighbours: index.analogy(a!, b!, c!, top), words: words.length, dim };
    }
    return { neighbours: index.nearest(requireString(params.word, 'word', { nonEmpty: true }), top), words: words.length, dim };
  }

  private indexOf(file: string): VectorIndex {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      throw new NeuronLensError(`Word vectors file not found: ${file}`, 'not-found');
    }
    const c = this.cached;
    if (c && c.file === file && c.mtimeMs === stat.mtimeMs && c.size === stat.size) return c.index;
    const index = new VectorIndex(readWordVectors(file));
    this.cached = { file, mtimeMs: stat.mtimeMs, size: stat.size, index };
    return index;
  }
}
