import { NeuronLensError } from '../../engine/errors';
import { type Neighbour, VectorIndex } from '../../engine/embeddings/vectorQueries';
import { readWordVectors } from '../../engine/embeddings/wordVectors';
import { type Values, num, required, str } from '../args';
import type { CommandContext } from '../context';

export const NEIGHBOURS_OPTIONS = {
  vectors: { type: 'string' },
  word: { type: 'string', multiple: true },
  analogy: { type: 'string' },
  top: { type: 'string' },
} as const;

export const NEIGHBOURS_HELP = `neuron-lens neighbours --vectors FILE (--word W [--word W2 ...] | --analogy a:b::c) [--top K] [--json]
  Nearest words by cosine similarity in a word2vec (text or binary) or GloVe vectors file.
  --analogy man:king::woman   "man is to king as woman is to ?": the words nearest to king − man + woman, inputs excluded
  --top K                      how many words (default 10)
  --json                       {"query":...,"neighbours":[{"word","similarity"}...]} per query, one JSON line each`;

/** "a:b::c", spaces allowed around the separators. */
export function parseAnalogy(spec: string): [string, string, string] {
  const m = /^\s*([^\s:]+)\s*:\s*([^\s:]+)\s*::\s*([^\s:]+)\s*$/.exec(spec);
  if (!m) throw new NeuronLensError(`--analogy must look like a:b::c (e.g. man:king::woman), not "${spec}"`);
  return [m[1]!, m[2]!, m[3]!];
}

export async function neighboursCommand(v: Values, ctx: CommandContext): Promise<number> {
  const file = required(v, 'vectors', 'a word2vec or GloVe file');
  const words = Array.isArray(v.word) ? v.word : [];
  const analogy = str(v, 'analogy');
  if (words.length === 0 && analogy === undefined) throw new NeuronLensError('--word or --analogy is required');
  const k = num(v, 'top', 10, { int: true, min: 1, max: 10_000 })!;
  // Parse the query before reading a possibly large file, so a typo fails fast.
  const analogyWords = analogy === undefined ? undefined : parseAnalogy(analogy);
  const index = new VectorIndex(readWordVectors(file));
  index.rows([...words, ...(analogyWords ?? [])]);
  const queries: { query: string; neighbours: Neighbour[] }[] = [];
  for (const w of words) queries.push({ query: w, neighbours: index.nearest(w, k) });
  if (analogyWords) {
    const [a, b, c] = analogyWords;
    queries.push({ query: `${a}:${b}::${c}`, neighbours: index.analogy(a, b, c, k) });
  }
  for (const q of queries) {
    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          query: q.query,
          neighbours: q.neighbours.map((n) => ({ word: n.word, similarity: Number(n.similarity.toFixed(6)) })),
        }),
      );
    } else {
      ctx.io.out(`${q.query}:`);
      for (const n of q.neighbours) ctx.io.out(`  ${n.similarity.toFixed(3).padStart(6)}  ${n.word}`);
    }
  }
  return 0;
}
