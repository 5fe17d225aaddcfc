import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  type LabelledExample,
  SPAM_ASSASSIN,
  emailText,
  encodeLabels,
  parseDelimitedRecords,
  readLabelledData,
  stratifiedSplit,
} from '../../src/engine/classifier/labelledData';
import { NeuronLensError } from '../../src/engine/errors';
import { tempDir } from './helpers';

function write(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NeuronLensError, `expected a NeuronLensError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('CSV/TSV (RFC 4180)', () => {
  test('quoted fields keep delimiters, doubled quotes and line breaks; records know their first line', () => {
    const records = parseDelimitedRecords('a,b\r\n"x, ""y""\nz",2\n\nplain,3\n', ',', 'f.csv');
    assert.deepEqual(records, [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"\nz', '2'] },
      { line: 5, fields: ['plain', '3'] },
    ]);
  });

  test('columns by header name (any case) or by position from 1; labels are trimmed; classes sorted', () => {
    const dir = tempDir();
    const csv = write(dir, 'd.csv', 'id,Review,Sentiment\n1,"great, really",pos\n2,awful,neg \n3,"fine\nok",pos\n');
    const byName = readLabelledData(csv, { textColumn: 'review', labelColumn: 'SENTIMENT' });
    assert.deepEqual(
      byName.examples.map((e) => [e.text, e.label, e.source]),
      [
        ['great, really', 'pos', `${csv}:2`],
        ['awful', 'neg', `${csv}:3`],
        ['fine\nok', 'pos', `${csv}:4`],
      ],
    );
    assert.deepEqual(byName.classes, ['neg', 'pos']);
    const byPosition = readLabelledData(csv, { textColumn: '2', labelColumn: '3' });
    assert.deepEqual(byPosition.examples, byName.examples);
    const tsv = write(dir, 'd.tsv', 'text\tlabel\nhello, world\ta\nbye\tb\n');
    assert.deepEqual(
      readLabelledData(tsv).examples.map((e) => e.text),
      ['hello, world', 'bye'],
    );
  });

  test('bad rows are named by file and line', () => {
    const dir = tempDir();
    rejects(() => readLabelledData(write(dir, 'a.csv', 'text,label\ngood,pos\nbad,\n')), /a\.csv:3: the example has no label/);
    rejects(() => readLabelledData(write(dir, 'b.csv', 'text,label\ngood,pos\n"  ",neg\n')), /b\.csv:3: the text is empty/);
    rejects(
      () => readLabelledData(write(dir, 'c.csv', 'text,label\ngood,pos,extra\n')),
      /c\.csv:2: the row has 3 fields but the header has 2/,
    );
    rejects(() => readLabelledData(write(dir, 'd.csv', 'text,label\n"never closed,pos\n')), /d\.csv:2: a quoted field is never closed/);
    rejects(
      () => readLabelledData(write(dir, 'e.csv', 'body,label\nx,pos\n')),
      /e\.csv: no text column "text"; the header has "body", "label"/,
    );
    rejects(() => readLabelledData(write(dir, 'f.csv', 'text,label\nx,pos\n'), { labelColumn: '7' }), /no column 7 for the label/);
    rejects(() => readLabelledData(write(dir, 'g.csv', 'text,label\nx,pos\ny,pos\n')), /only one class "pos".*at least two/);
  });
});

describe('JSONL', () => {
  test('custom keys; numbers and booleans become class names', () => {
    const dir = tempDir();
    const file = write(dir, 'd.jsonl', '{"body":"yes","y":1}\n\n{"body":"no","y":0}\r\n');
    const data = readLabelledData(file, { textColumn: 'body', labelColumn: 'y' });
    assert.deepEqual(
      data.examples.map((e) => [e.text, e.label, e.source]),
      [
        ['yes', '1', `${file}:1`],
        ['no', '0', `${file}:3`],
      ],
    );
  });

  test('bad lines are named', () => {
    const dir = tempDir();
    rejects(
      () => readLabelledData(write(dir, 'a.jsonl', '{"text":"x","label":"a"}\n{"text":"y"}\n')),
      /a\.jsonl:2: the example has no label \(no "label" key\)/,
    );
    rejects(() => readLabelledData(write(dir, 'b.jsonl', '{"text":"x","label":"a"}\n{oops\n')), /b\.jsonl:2: not valid JSON/);
    rejects(() => readLabelledData(write(dir, 'c.jsonl', '{"text":3,"label":"a"}\n')), /c\.jsonl:1: "text" must be a string, not 3/);
    rejects(() => readLabelledData(write(dir, 'd.jsonl', '{"text":"x","label":["a"]}\n')), /d\.jsonl:1: the label must be a string/);
  });
});

describe('class folders and files', () => {
  test('one sub-folder per class; hidden entries skipped', () => {
    const dir = tempDir();
    write(dir, 'spam/1.txt', 'buy now');
    write(dir, 'spam/.DS_Store', 'x');
    write(dir, 'ham/a.txt', 'see you at lunch');
    write(dir, 'ham/b.txt', 'meeting moved');
    const data = readLabelledData(dir);
    assert.deepEqual(data.classes, ['ham', 'spam']);
    assert.deepEqual(
      data.examples.map((e) => [e.label, path.basename(e.source)]),
      [
        ['ham', 'a.txt'],
        ['ham', 'b.txt'],
        ['spam', '1.txt'],
      ],
    );
  });

  test('binary, empty, oversize, unknown format, missing: clear messages naming the file', () => {
    const dir = tempDir();
    const bin = write(dir, 'bin/a/x.dat', new Uint8Array([1, 2, 0, 3]));
    write(dir, 'bin/b/y.txt', 'fine');
    rejects(
      () => readLabelledData(path.join(dir, 'bin')),
      new RegExp(`${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} looks like a binary file`),
    );
    const empty = write(dir, 'empty/a/x.txt', '');
    write(dir, 'empty/b/y.txt', 'fine');
    rejects(() => readLabelledData(path.join(dir, 'empty')), new RegExp(`${path.basename(empty)} is empty`));
    const big = write(dir, 'big.csv', `text,label\n${'x'.repeat(2000)},a\ny,b\n`);
    rejects(
      () => readLabelledData(big, { maxBytes: 1000 }),
      new RegExp(`big\\.csv is ${fs.statSync(big).size} bytes, more than the 1000 bytes limit`),
    );
    rejects(() => readLabelledData(write(dir, 'd.xlsx', 'x')), /d\.xlsx: unknown labelled-data format "\.xlsx"/);
    rejects(() => readLabelledData(path.join(dir, 'nope.csv')), /Labelled data not found/);
    fs.mkdirSync(path.join(dir, 'flat'));
    write(dir, 'flat/a.txt', 'x');
    rejects(() => readLabelledData(path.join(dir, 'flat')), /has no sub-folders/);
  });

  test('labels outside a model’s classes are named with their source', () => {
    const examples: LabelledExample[] = [
      { text: 'a', label: 'pos', source: 'f.csv:2' },
      { text: 'b', label: 'meh', source: 'f.csv:3' },
    ];
    assert.deepEqual([...encodeLabels(examples.slice(0, 1), ['neg', 'pos'])], [1]);
    rejects(() => encodeLabels(examples, ['neg', 'pos']), /f\.csv:3: unknown label "meh"; the model's classes are neg, pos/);
  });
});

describe('stratified split', () => {
  const examples: LabelledExample[] = [
    ...Array.from({ length: 50 }, (_, i) => ({ text: `a${i}`, label: 'a', source: `a${i}` })),
    ...Array.from({ length: 10 }, (_, i) => ({ text: `b${i}`, label: 'b', source: `b${i}` })),
    { text: 'c0', label: 'c', source: 'c0' },
    { text: 'c1', label: 'c', source: 'c1' },
  ];

  test('each class gives its share (at least one) to validation; the split is a partition; the seed fixes it', () => {
    const s = stratifiedSplit(examples, 0.2, 7);
    const count = (xs: LabelledExample[], label: string): number => xs.filter((e) => e.label === label).length;
    assert.deepEqual(
      ['a', 'b', 'c'].map((l) => count(s.validation, l)),
      [10, 2, 1],
    );
    assert.equal(s.train.length + s.validation.length, examples.length);
    assert.equal(new Set([...s.train, ...s.validation].map((e) => e.source)).size, examples.length);
    assert.deepEqual(stratifiedSplit(examples, 0.2, 7), s);
    assert.notDeepEqual(
      stratifiedSplit(examples, 0.2, 8).validation.map((e) => e.source),
      s.validation.map((e) => e.source),
    );
    assert.equal(stratifiedSplit(examples, 0, 1).validation.length, 0);
    assert.throws(() => stratifiedSplit(examples, 1, 1), /validation fraction must be in \[0, 1\)/);
  });
});

describe('SpamAssassin', () => {
  test('email text keeps the (unfolded) Subject and the body, drops the other headers', () => {
    const raw = 'From x@y  Mon\nReceived: from relay.example\nSubject: Cheap\n  pills today\nTo: z@w\n\nBody line\n\nmore';
    assert.equal(emailText(raw), 'Subject: Cheap pills today\n\nBody line\n\nmore');
    assert.equal(emailText('Subject: only headers'), 'Subject: only headers\n\n');
  });

  test('the default data: 4,150 ham and 1,896 spam emails', () => {
    const data = readLabelledData(SPAM_ASSASSIN);
    assert.deepEqual(data.classes, ['ham', 'spam']);
    assert.equal(data.examples.filter((e) => e.label === 'ham').length, 4150);
    assert.equal(data.examples.filter((e) => e.label === 'spam').length, 1896);
    assert.ok(data.examples.every((e) => e.text.startsWith('Subject: ') && !/^Received:/m.test(e.text.split('\n\n')[0]!)));
  });
});
