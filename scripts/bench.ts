/**
 * `npm run bench`: speed of the engine against PyTorch on this machine, measured in the same run.
 * A character LSTM (hidden 256, one-hot input) on Moby-Dick: training tokens/s, recording
 * tokens/s (hidden state only, and every internal), and the editor's latencies (highlighting a
 * 10,000-character file, re-highlighting after a keystroke). Prints a table with the ratios and
 * writes bench/out/results.json. Not part of CI: peers are slow to install and numbers vary.
 *
 *   npm run bench [-- --no-pytorch] [-- --quick]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { makeArchitecture } from '../src/engine/architecture';
import { initBackend } from '../src/engine/backend';
import { mobyDick } from '../src/engine/corpus';
import { createStreamingRunner } from '../src/engine/inference/createRunner';
import type { StreamingRunner } from '../src/engine/inference/streamingRunner';
import { TfjsRunner } from '../src/engine/inference/tfjsRunner';
import { LanguageModel } from '../src/engine/languageModel';
import { ModelTokenizer } from '../src/engine/modelTokenizer';
import { tokenize } from '../src/engine/tokenizer';
import { trainLanguageModel } from '../src/engine/trainer';
import { Vocabulary } from '../src/engine/vocabulary';
import { measureAnalyses } from './benchAnalyses';
import { measureEditor } from './benchEditor';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const HIDDEN = 256;
const BATCH = 32;
const SEQ_LEN = 32;
const TRAIN_STEPS = quick ? 4 : 12;
const WARMUP_STEPS = 2;
const RECORD_CHARS = 10_000;
const PYTHON = '/usr/bin/python3';

interface Row {
  what: string;
  ours: number;
  peer?: number;
  peerLabel?: string;
  unit: string;
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const text = mobyDick().text;
  const sample = text.slice(100_000, 100_000 + RECORD_CHARS);
  const vocabulary = Vocabulary.build(tokenize(text, 'char').map((t) => t.text));
  const tokenizer = new ModelTokenizer('char', vocabulary);
  const architecture = makeArchitecture({ cell: 'lstm', level: 'char', vocabSize: vocabulary.size, hiddenSize: HIDDEN });
  console.log(`backend ${backend}; char LSTM hidden ${HIDDEN}, vocabulary ${vocabulary.size}; ${cpuLine()}`);

  const rows: Row[] = [];
  const peer = args.has('--no-pytorch') ? undefined : runPytorch(text, sample.length);

  const trainIds = tokenizer.encode(text.slice(0, 400_000)).ids;
  const trainSpeed = await measureTraining(architecture, trainIds);
  rows.push({ what: `training (batch ${BATCH} × ${SEQ_LEN})`, ours: trainSpeed, unit: 'tokens/s', ...peerOf(peer, 'train') });

  const model = LanguageModel.initialize(architecture, 1);
  const ids = tokenizer.encode(sample).ids;
  const tfjs = new TfjsRunner(model);
  const fast = createStreamingRunner(model);
  rows.push({
    what: 'recording h, tfjs ops per step',
    ours: measureRecording(tfjs, ids, ['h']),
    unit: 'tokens/s',
    ...peerOf(peer, 'hidden'),
  });
  rows.push({
    what: 'recording h, streaming runner',
    ours: measureRecording(fast, ids, ['h']),
    unit: 'tokens/s',
    ...peerOf(peer, 'hidden'),
  });
  const all = model.components(0).map((c) => c.id);
  rows.push({
    what: `recording ${all.join(',')}, streaming runner`,
    ours: measureRecording(fast, ids, all),
    unit: 'tokens/s',
    ...peerOf(peer, 'internals'),
  });
  const { tokens } = tokenizer.encode(sample);
  for (const a of measureAnalyses(fast, tokens, ids)) rows.push({ what: a.what, ours: a.ms, unit: 'ms' });
  fast.dispose();

  const editorModel = fs.mkdtempSync(path.join(os.tmpdir(), 'neuron-lens-bench-'));
  for (const e of await measureEditor(model, tokenizer, sample, editorModel)) rows.push({ what: e.what, ours: e.value, unit: e.unit });
  fs.rmSync(editorModel, { recursive: true, force: true });

  model.dispose();

  printTable(rows, peer);
  const out = path.join(__dirname, '..', 'bench', 'out');
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, 'results.json');
  fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), backend, cpu: cpuLine(), pytorch: peer, rows }, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

async function measureTraining(architecture: ReturnType<typeof makeArchitecture>, ids: Int32Array): Promise<number> {
  const model = LanguageModel.initialize(architecture, 1);
  const marks: { step: number; ms: number }[] = [];
  await trainLanguageModel(
    model,
    { train: ids, validation: ids.subarray(0, 200) },
    {
      steps: WARMUP_STEPS + TRAIN_STEPS,
      batch: BATCH,
      seqLen: SEQ_LEN,
      evalEvery: 1_000_000,
      checkpointEvery: 1_000_000,
      onProgress: (p) => marks.push({ step: p.step, ms: p.elapsedMs }),
    },
  );
  model.dispose();
  const from = marks[WARMUP_STEPS - 1]!;
  // The last mark includes the final validation pass: stop one step before it.
  const to = marks[marks.length - 2]!;
  return ((to.step - from.step) * BATCH * SEQ_LEN) / ((to.ms - from.ms) / 1000);
}

function measureRecording(runner: StreamingRunner, ids: Int32Array, components: string[]): number {
  const units = runner.layerUnits[0]!;
  const sinks = components.map((component) => ({ layer: 0, component, out: new Float32Array(ids.length * units) }));
  runner.run(ids.subarray(0, 64), runner.zeroState(), sinks);
  const before = tf.memory().numTensors;
  const started = performance.now();
  const state = runner.zeroState();
  for (let start = 0; start < ids.length; start += 256)
    runner.run(ids.subarray(start, Math.min(ids.length, start + 256)), state, sinks, start);
  const seconds = (performance.now() - started) / 1000;
  if (tf.memory().numTensors !== before) throw new Error(`recording leaked ${tf.memory().numTensors - before} tensors`);
  return ids.length / seconds;
}

interface PytorchResult {
  torch: string;
  threads: number;
  train_tokens_per_s: number;
  record_hidden_tokens_per_s: number;
  record_internals_tokens_per_s: number;
}

/** PyTorch with one thread (like the wasm backend) and with every core, on the same text. */
function runPytorch(text: string, recordChars: number): { single: PytorchResult; all: PytorchResult } | undefined {
  if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import torch']).status !== 0) {
    console.log(`PyTorch peer skipped: ${PYTHON} with torch not found (apt-get install python3-torch)`);
    return undefined;
  }
  const job = (threads: number) => ({
    text: text.slice(0, 400_000),
    hidden: HIDDEN,
    batch: BATCH,
    seq_len: SEQ_LEN,
    train_steps: TRAIN_STEPS,
    warmup: WARMUP_STEPS,
    record_chars: recordChars,
    threads,
  });
  const run = (threads: number): PytorchResult => {
    const r = spawnSync(PYTHON, [path.join(__dirname, '..', 'bench', 'pytorch_peer.py')], {
      input: JSON.stringify(job(threads)),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`PyTorch peer failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as PytorchResult;
  };
  const single = run(1);
  const all = run(os.availableParallelism());
  console.log(`PyTorch ${single.torch}: measured with 1 thread and with ${all.threads}`);
  return { single, all };
}

function peerOf(
  peer: { single: PytorchResult; all: PytorchResult } | undefined,
  kind: 'train' | 'hidden' | 'internals',
): Pick<Row, 'peer' | 'peerLabel'> {
  if (!peer) return {};
  const key = ({ train: 'train_tokens_per_s', hidden: 'record_hidden_tokens_per_s', internals: 'record_internals_tokens_per_s' } as const)[
    kind
  ];
  return { peer: peer.single[key], peerLabel: `PyTorch 1 thread (${peer.all.threads} threads: ${fmt(peer.all[key])})` };
}

function printTable(rows: Row[], peer: unknown): void {
  console.log('');
  const header = ['measure', 'ours', peer ? 'PyTorch' : '', peer ? 'ours/PyTorch' : ''];
  const lines = rows.map((r) => [
    r.what,
    `${fmt(r.ours)} ${r.unit}`,
    r.peer === undefined ? '' : `${fmt(r.peer)} ${r.unit}`,
    r.peer === undefined ? '' : `${(r.ours / r.peer).toFixed(2)}×  [${r.peerLabel}]`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const l of [header, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(1);
}

function cpuLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
