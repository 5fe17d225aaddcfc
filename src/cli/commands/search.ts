import * as path from 'node:path';
import { DEFAULT_CORPUS, mobyDick, readTextFile } from '../../engine/corpus';
import { NeuronLensError } from '../../engine/errors';
import { parseNeuronList } from '../../engine/experiment';
import { loadModel } from '../../engine/modelFolder';
import { type SearchDocument, type SpanMatch, proposeNeurons, searchPattern, tokenSpanOfChars } from '../../engine/patternSearch';
import { resolveComponent, resolveLayer } from '../../engine/recorder';
import { indexText } from '../../engine/recordingIndex';
import { collectTextFiles } from '../../engine/textFiles';
import { colourTokens, legend, printable } from '../ansi';
import { type Values, list, num, required, str } from '../args';
import type { CommandContext } from '../context';

export const SEARCH_OPTIONS = {
  model: { type: 'string' },
  in: { type: 'string', multiple: true },
  text: { type: 'string' },
  file: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  neurons: { type: 'string' },
  propose: { type: 'string' },
  threshold: { type: 'string' },
  top: { type: 'string' },
  layer: { type: 'string' },
  component: { type: 'string' },
} as const;

const DEFAULT_THRESHOLD = 0.3;
const DEFAULT_PROPOSED = 5;
const PROGRESS_TOKENS = 100_000;

export const SEARCH_HELP = `neuron-lens search --model DIR (--text STR | --file PATH --from C --to C) [--in PATH]... [--neurons 3,7:9 | --propose K] [--threshold X] [--top K] [--layer L] [--component NAME] [--json]
  "More like this": takes the on/off pattern (value above --threshold, default ${DEFAULT_THRESHOLD}) of the chosen neurons
  over the query span and lists the most similar spans of the same length in the files of --in (files or folders,
  repeatable; default the ${DEFAULT_CORPUS} corpus), with file:line:column and a preview coloured by how many of
  the neurons are on. Similarity: Jaccard index of the on-bits (shared on / on in either; off/off agreement
  does not count). Matches never overlap each other or the query.
  --file PATH --from C --to C: the span is characters C to C of the file (an editor selection); the file is
  searched too. --text STR: the pattern of the whole text, run from a fresh state.
  Without --neurons, the --propose K (default ${DEFAULT_PROPOSED}) neurons most on inside the span compared with
  around it are used.`;

export async function searchCommand(v: Values, ctx: CommandContext): Promise<number> {
  const dir = required(v, 'model');
  const threshold = num(v, 'threshold', DEFAULT_THRESHOLD)!;
  const top = num(v, 'top', 10, { int: true, min: 1 })!;
  const propose = num(v, 'propose', DEFAULT_PROPOSED, { int: true, min: 1 })!;
  const query = readQuery(v);
  const sources = list(v, 'in').length
    ? collectTextFiles(list(v, 'in')).map((f) => ({ name: f.path, text: f.text }))
    : [{ name: DEFAULT_CORPUS, text: mobyDick().text }];
  const loaded = await loadModel(dir);
  try {
    const layer = resolveLayer(loaded.model, num(v, 'layer', 0, { int: true })!);
    const component = resolveComponent(loaded.model, layer, str(v, 'component', 'h')!);
    const texts = new Map<SearchDocument, string>();
    const index = async (name: string, text: string): Promise<SearchDocument> => {
      const started = performance.now();
      let reported = 0;
      const onProgress = (done: number, total: number) => {
        // Long texts take seconds to run through the model: a line per tenth shows it is alive.
        const tenth = Math.floor((10 * done) / total);
        if (total >= PROGRESS_TOKENS && tenth > reported) ctx.io.err(`indexing ${name}: ${(reported = tenth) * 10}%`);
      };
      const { tokens, index } = await indexText(loaded, text, { layer, component, threshold, onProgress });
      if (ctx.verbose) ctx.io.err(`indexed ${name}: ${tokens.length} tokens in ${(performance.now() - started).toFixed(0)} ms`);
      const doc = { name, tokens, index };
      texts.set(doc, text);
      return doc;
    };
    const documents: SearchDocument[] = [];
    for (const s of sources) documents.push(await index(s.name, s.text));
    const same = query.file ? documents.find((d) => path.resolve(d.name) === path.resolve(query.file!)) : undefined;
    const queryDoc = same ?? (await index(query.name, query.text));
    // The selection's own file is searched too (outside the selection), as an editor user expects.
    if (query.file && !same) documents.unshift(queryDoc);
    const span = query.chars ? tokenSpanOfChars(queryDoc, query.chars.from, query.chars.to) : { from: 0, to: queryDoc.tokens.length };
    const units = queryDoc.index.units;
    const neurons = str(v, 'neurons') ? parseNeuronList(str(v, 'neurons')!, units) : proposeNeurons(queryDoc, span.from, span.to, propose);
    const started = performance.now();
    const result = searchPattern(documents, { document: queryDoc, ...span, neurons }, { top });
    const searchMs = performance.now() - started;
    const where = (m: SpanMatch) => lineColumn(texts.get(documents[m.document]!)!, m.start);

    if (v.json === true) {
      ctx.io.out(
        JSON.stringify({
          layer,
          component,
          threshold,
          neurons: result.neurons,
          similarity: 'jaccard',
          query: { source: query.name, ...result.query },
          files: documents.map((d) => ({ name: d.name, tokens: d.tokens.length })),
          windows: result.windows,
          searchMs: Math.round(searchMs),
          matches: result.matches.map((m) => ({
            file: m.name,
            ...where(m),
            from: m.from,
            to: m.to,
            start: m.start,
            end: m.end,
            score: Number(m.score.toPrecision(6)),
            shared: m.shared,
            union: m.union,
            preview: m.preview,
            onFraction: m.onFraction.map((x) => Number(x.toPrecision(4))),
          })),
        }),
      );
      return 0;
    }
    ctx.io.out(
      `layer ${layer} ${component}, neurons ${result.neurons.join(', ')} above ${threshold}; query ${JSON.stringify(printable(result.query.text))} (${result.query.to - result.query.from} tokens, ${result.query.on} on-bits)`,
    );
    ctx.io.out(
      `${result.windows.toLocaleString('en')} spans in ${documents.length} file${documents.length === 1 ? '' : 's'} compared in ${searchMs.toFixed(0)} ms; ${result.matches.length} matches (Jaccard of on-bits)`,
    );
    result.matches.forEach((m, i) => {
      const { line, column } = where(m);
      ctx.io.out(`${String(i + 1).padStart(3)}. ${m.score.toFixed(3)}  ${m.name}:${line}:${column}  (${m.shared}/${m.union} on-bits)`);
      ctx.io.out(`     ${previewLine(m, documents[m.document]!.tokens, ctx.io.colour)}`);
    });
    if (ctx.io.colour && result.matches.length) ctx.io.out(`\nshare of the neurons on per token: ${legend()}  (0 to 1 on the red side)`);
    return 0;
  } finally {
    loaded.model.dispose();
  }
}

interface Query {
  name: string;
  text: string;
  file?: string;
  chars?: { from: number; to: number };
}

function readQuery(v: Values): Query {
  const text = str(v, 'text');
  const file = str(v, 'file');
  if (text !== undefined && file !== undefined)
    throw new NeuronLensError('Give the query as either --text or --file with --from/--to, not both');
  if (text !== undefined) {
    if (str(v, 'from') !== undefined || str(v, 'to') !== undefined)
      throw new NeuronLensError('--from/--to select a span of --file; --text is searched whole');
    if (text.length === 0) throw new NeuronLensError('The query text is empty');
    return { name: '--text', text };
  }
  if (file === undefined) throw new NeuronLensError('Give the query as --text STR or as --file PATH --from C --to C');
  const from = num(v, 'from', undefined, { int: true, min: 0 });
  const to = num(v, 'to', undefined, { int: true, min: 0 });
  if (from === undefined || to === undefined)
    throw new NeuronLensError('--file needs --from and --to: the character offsets of the span to search for');
  return { name: file, text: readTextFile(file), file, chars: { from, to } };
}

/** 1-based line and column (UTF-16 units, as editors count) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** One line: context plain, the match coloured by the share of neurons on (or bracketed without colour). */
function previewLine(m: SpanMatch, tokens: readonly { text: string }[], colour: boolean): string {
  const flat = (s: string) => printable(s.replace(/\r\n|\n|\r/g, '↵'));
  const before = flat(m.preview.before);
  const after = flat(m.preview.after);
  if (!colour) return `${before}[${flat(m.preview.match)}]${after}`;
  const flatTokens = tokens.slice(m.from, m.to).map((t) => ({ text: t.text.replace(/\r\n|\n|\r/g, '↵') }));
  return `${before}${colourTokens(flatTokens, m.onFraction)}${after}`;
}
