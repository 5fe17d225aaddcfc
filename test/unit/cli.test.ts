import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../src/cli/main';
import type { Output } from '../../src/cli/output';
import { saveModel } from '../../src/engine/modelFolder';
import { initBackend } from '../../src/engine/backend';
import { tempDir, tinyModel } from './helpers';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l), colour: false };
  const code = await main([...argv, '--backend', 'wasm'], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function modelDir(cell: 'rnn' | 'lstm' | 'gru' = 'lstm', level: 'char' | 'word' = 'char'): Promise<string> {
  await initBackend('wasm');
  const dir = tempDir();
  const m = tinyModel(cell, level, 1, 4);
  await saveModel(dir, m);
  m.model.dispose();
  return dir;
}

const ROOT = path.resolve(__dirname, '../..');

describe('CLI', () => {
  test('activations --json: tokens concatenate to the input; one row per token, one column per neuron', async () => {
    const dir = await modelDir('lstm', 'word');
    const text = 'the cat,\r\n\tsat 👍 on e\u0301 mat.';
    for (const component of ['h', 'c', 'input', 'forget', 'g', 'output']) {
      const r = await run('activations', '--model', dir, '--text', text, '--component', component, '--json');
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out) as {
        tokens: { text: string; start: number; end: number }[];
        values: number[][];
        neurons: number;
        component: string;
        layer: number;
      };
      assert.equal(j.tokens.map((t) => t.text).join(''), text);
      assert.ok(j.tokens.every((t) => text.slice(t.start, t.end) === t.text));
      assert.equal(j.values.length, j.tokens.length);
      assert.ok(j.values.every((row) => row.length === 4 && row.every(Number.isFinite)));
      assert.equal(j.layer, 0);
    }
  });

  test('every component of GRU and RNN models is selectable', async () => {
    for (const [cell, comps] of [
      ['gru', ['h', 'z', 'r', 'n', 'update', 'reset', 'candidate']],
      ['rnn', ['h', 'pre', 'hidden']],
    ] as const) {
      const dir = await modelDir(cell);
      for (const c of comps) {
        const r = await run('activations', '--model', dir, '--text', 'a cat', '--component', c, '--json');
        assert.equal(r.code, 0, `${cell} ${c}: ${r.err}`);
        assert.equal((JSON.parse(r.out) as { values: unknown[] }).values.length, 5);
      }
    }
  });

  test('--file reads a file; binary, empty, missing inputs and models fail with one line', async () => {
    const dir = await modelDir();
    const tmp = tempDir();
    const good = path.join(tmp, 'a.txt');
    fs.writeFileSync(good, 'the mat\r\n');
    assert.equal((await run('activations', '--model', dir, '--file', good, '--json')).code, 0);
    const binary = path.join(tmp, 'b.bin');
    fs.writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]));
    const empty = path.join(tmp, 'e.txt');
    fs.writeFileSync(empty, '');
    const cases: [string[], RegExp][] = [
      [['activations', '--model', dir, '--file', binary], /looks like a binary file/],
      [['activations', '--model', dir, '--file', empty], /is empty/],
      [['activations', '--model', dir, '--text', ''], /text is empty/],
      [['activations', '--model', dir, '--file', path.join(tmp, 'nope.txt')], /File not found/],
      [['activations', '--model', tmp, '--text', 'x'], /model\.json is missing/],
      [['info', '--model', '/no/such/model'], /Model folder not found/],
      [['activations', '--model', dir, '--text', 'x', '--component', 'zzz'], /Unknown component "zzz"/],
      [['activations', '--model', dir, '--text', 'x', '--layer', '2'], /Layer 2 does not exist/],
      [['generate', '--model', dir, '--neuron', '99'], /Neuron 99 does not exist/],
      [['train', '--out', tmp, '--arch', 'transformer'], /--arch must be one of rnn, lstm, gru/],
      [['train', '--out', tmp, '--hidden', 'many'], /--hidden must be an integer/],
      [['train', '--out', tmp, '--corpus', binary], /binary/],
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['info', '--modle', dir], /Unknown option '--modle'/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 1, `${argv.join(' ')} exit code`);
      assert.match(r.err, pattern);
      assert.equal(r.err.split('\n').length, 1, `one line: ${r.err}`);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });

  test('train → info → generate, with the bits/char report and the unigram entropy', async () => {
    const tmp = tempDir();
    const corpus = path.join(tmp, 'corpus.txt');
    fs.writeFileSync(corpus, 'the cat sat on the mat. the dog sat on the log.\n'.repeat(30));
    const out = path.join(tmp, 'model');
    const t = await run(
      'train',
      '--corpus',
      corpus,
      '--arch',
      'gru',
      '--hidden',
      '12',
      '--steps',
      '30',
      '--seq-len',
      '16',
      '--batch',
      '4',
      '--lr',
      '0.01',
      '--out',
      out,
      '--json',
    );
    assert.equal(t.code, 0, t.err);
    const lines = t.out.split('\n').map((l) => JSON.parse(l) as Record<string, number | string | boolean>);
    assert.equal(lines.filter((l) => l.type === 'progress').length, 30);
    const done = lines[lines.length - 1]!;
    assert.equal(done.type, 'done');
    assert.ok((done.validationBits as number) < (done.unigramEntropyBits as number), JSON.stringify(done));
    const info = await run('info', '--model', out, '--json');
    const j = JSON.parse(info.out) as { training: { steps: number; completed: boolean }; architecture: { cell: string } };
    assert.equal(j.training.steps, 30);
    assert.equal(j.training.completed, true);
    assert.equal(j.architecture.cell, 'gru');
    const g = await run('generate', '--model', out, '--prime', 'the ', '--length', '40', '--seed', '3', '--neuron', '2', '--json');
    const gj = JSON.parse(g.out) as { text: string; values: number[]; tokens: unknown[] };
    assert.ok(gj.text.startsWith('the '));
    assert.equal(gj.values.length, gj.tokens.length);
  });

  test('the real process prints one line without a stack trace and exits non-zero', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'info', '--model', '/no/such/dir'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'neuron-lens: Model folder not found: /no/such/dir');
    assert.equal(r.stdout, '');
  });

  test('a reader that closes the pipe early (| head) ends the output quietly with exit 0', async () => {
    const dir = await modelDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'src/cli/main.ts'),
        'activations',
        '--model',
        dir,
        '--text',
        'the cat sat on the mat. '.repeat(2000),
        '--json',
        '--backend',
        'wasm',
      ],
      {
        cwd: ROOT,
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(stderr, '');
  });
});
