import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { initBackend } from '../../src/engine/backend';
import { DEFAULT_EXPERIMENT, parseExperiment, parseNeuronList, readExperiment, writeExperiment } from '../../src/engine/experiment';
import { saveModel } from '../../src/engine/modelFolder';
import { crc32, encodePng } from '../../src/engine/pngEncoder';
import { tempDir, tinyModel } from './helpers';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
  const code = await main([...argv, '--backend', 'wasm'], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function modelDir(): Promise<string> {
  await initBackend('wasm');
  const dir = tempDir();
  const m = tinyModel('lstm', 'char', 1, 6);
  await saveModel(dir, m);
  m.model.dispose();
  return dir;
}

const TEXT = 'the cat sat. the dog sat? on a mat! '.repeat(8);

describe('relevance and fourier commands', () => {
  test('relevance --json scores every neuron per feature and proposes the strongest', async () => {
    const dir = await modelDir();
    const r = await run(
      'relevance',
      '--model',
      dir,
      '--text',
      TEXT,
      '--feature',
      ' ',
      '--feature',
      '/[?!]/',
      '--feature',
      'zebra',
      '--top',
      '2',
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      tokens: number;
      neurons: number;
      statistic: string;
      features: { feature: string; matches: number; top: { neuron: number; score: number }[]; scores: number[] }[];
    };
    assert.equal(j.tokens, TEXT.length);
    assert.equal(j.statistic, 'cohen-d');
    assert.deepEqual(
      j.features.map((f) => [f.feature, f.matches]),
      [
        [' ', 8 * 9],
        ['/[?!]/', 16],
        ['zebra', 0],
      ],
    );
    const space = j.features[0]!;
    assert.equal(space.scores.length, 6);
    assert.equal(space.top.length, 2);
    const strongest = Math.max(...space.scores.map(Math.abs));
    assert.equal(Math.abs(space.top[0]!.score), strongest);
    assert.deepEqual(j.features[2]!.top, [], 'no hypotheses for a feature with no tokens');
  });

  test('an experiment file supplies the features; flags override it', async () => {
    const dir = await modelDir();
    const file = path.join(tempDir(), 'experiment.json');
    await writeExperiment(file, { ...DEFAULT_EXPERIMENT, features: ['.'], statistic: 'auroc', topK: 1 });
    const r = await run('relevance', '--model', dir, '--text', TEXT, '--experiment', file, '--json');
    const j = JSON.parse(r.out) as { statistic: string; neutral: number; features: { feature: string; top: unknown[] }[] };
    assert.equal(j.statistic, 'auroc');
    assert.equal(j.neutral, 0.5);
    assert.deepEqual(
      j.features.map((f) => f.feature),
      ['.'],
    );
    assert.equal(j.features[0]!.top.length, 1);
    const overridden = JSON.parse(
      (await run('relevance', '--model', dir, '--text', TEXT, '--experiment', file, '--statistic', 'reference', '--json')).out,
    );
    assert.equal(overridden.statistic, 'reference');
  });

  test('fourier --json: spectra from 0 to 0.5 cycles/token and a band ranking of the chosen neurons', async () => {
    const dir = await modelDir();
    const r = await run('fourier', '--model', dir, '--text', TEXT, '--neurons', '1,3:5', '--band', '0.2:0.5', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      band: number[];
      frequencies: number[];
      ranking: { neuron: number; score: number }[];
      spectra: { neuron: number; values: number[] }[];
    };
    assert.deepEqual(j.band, [0.2, 0.5]);
    assert.equal(j.frequencies[0], 0);
    assert.equal(j.frequencies[j.frequencies.length - 1], 0.5, 'even length keeps the Nyquist bin');
    assert.deepEqual(
      j.spectra.map((s) => s.neuron),
      [1, 3, 4],
    );
    assert.ok(j.spectra.every((s) => s.values.length === j.frequencies.length && s.values[0]! < 1e-9));
    const scores = j.ranking.map((x) => x.score);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
  });

  test('bad analysis input: one clear line and a non-zero exit', async () => {
    const dir = await modelDir();
    const bad = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(bad, '{"version": 1, "band": [0.6, 0.2]}');
    const cases: [string[], RegExp][] = [
      [['relevance', '--model', dir, '--text', TEXT, '--feature', '/(/'], /not a valid regular expression/],
      [['relevance', '--model', dir, '--text', TEXT, '--experiment', bad], /"band" must be \[lo, hi\]/],
      [['fourier', '--model', dir, '--text', TEXT, '--neurons', '99'], /Neuron 99 does not exist/],
      [['fourier', '--model', dir, '--text', TEXT, '--band', 'high'], /--band must look like/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 1);
      assert.match(r.err, message);
      assert.equal(r.err.split('\n').length, 1);
    }
  });
});

describe('experiment files', () => {
  test('round-trip through disk, defaults filled in', async () => {
    const file = path.join(tempDir(), 'e.json');
    await writeExperiment(file, { ...DEFAULT_EXPERIMENT, neurons: [3, 1], band: [0.1, 0.2] });
    const e = readExperiment(file);
    assert.deepEqual(e.neurons, [3, 1]);
    assert.deepEqual(e.band, [0.1, 0.2]);
    assert.equal(parseExperiment({ version: 1 }).component, 'h');
  });

  test('name the offending field', () => {
    assert.throws(() => parseExperiment({ version: 2 }), /unsupported version 2/);
    assert.throws(() => parseExperiment({ version: 1, colour: 'red' }), /unknown field "colour"/);
    assert.throws(() => parseExperiment({ version: 1, statistic: 'magic' }), /"statistic" must be one of cohen-d, auroc, reference/);
    assert.throws(() => parseExperiment([]), /must be a JSON object/);
  });

  test('the JSON schema contributed to VS Code describes exactly these fields and defaults', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../media/experiment.schema.json'), 'utf8')) as {
      properties: Record<string, { default?: unknown; const?: unknown }>;
    };
    const fields = Object.keys(schema.properties).filter((k) => k !== '$schema' && k !== 'model');
    assert.deepEqual(fields.sort(), Object.keys(DEFAULT_EXPERIMENT).sort());
    for (const [key, value] of Object.entries(DEFAULT_EXPERIMENT)) {
      const p = schema.properties[key]!;
      assert.deepEqual(p.default ?? p.const, value, key);
    }
  });

  test('neuron lists accept numbers and half-open ranges', () => {
    assert.deepEqual(parseNeuronList('4, 0:3,2'), [0, 1, 2, 4]);
    assert.throws(() => parseNeuronList('3:3'), /empty/);
    assert.throws(() => parseNeuronList('x'), /not a neuron or a range/);
    assert.throws(() => parseNeuronList('0:9', 8), /Neuron 8 does not exist/);
  });
});

describe('report command and its figures', () => {
  test('PNG encoder: standard CRC, and pixels that inflate back exactly', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
    const png = encodePng(3, 2, rgba);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 3);
    assert.equal(png.readUInt32BE(20), 2);
    const idatLength = png.readUInt32BE(33);
    assert.equal(png.subarray(37, 41).toString('latin1'), 'IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    assert.deepEqual([...raw.subarray(1, 13)], [...rgba.subarray(0, 12)]);
    assert.deepEqual([...raw.subarray(14, 26)], [...rgba.subarray(12, 24)]);
    assert.throws(() => encodePng(2, 2, new Uint8Array(3)), /expected 16 RGBA bytes/);
  });

  test('report writes one self-contained page with relevance, coloured text, heatmap and spectra', async () => {
    const dir = await modelDir();
    const out = path.join(tempDir(), 'analysis.html');
    const text = TEXT + '<script>alert(1)</script>';
    const r = await run('report', '--model', dir, '--text', text, '--feature', ' ', '--feature', '.', '--out', out);
    assert.equal(r.code, 0, r.err);
    const html = fs.readFileSync(out, 'utf8');
    for (const heading of ['Model', 'Features of interest', 'Activation heatmap', 'Spectra'])
      assert.match(html, new RegExp(`<h2>${heading}</h2>`));
    assert.equal((html.match(/src="data:image\/png;base64,/g) ?? []).length, 2, 'heatmap and spectra images');
    assert.equal((html.match(/<svg /g) ?? []).length, 3, 'three spectrum charts');
    assert.ok(!html.includes('<script>alert'), 'text from the file is escaped');
    assert.match(html, /default-src 'none'/);
  });
});
