/**
 * `npm run bench`: speed of the engine against PyTorch on this machine, measured in the same run.
 * Character LSTMs (hidden 256 and 512, one-hot input) and a word LSTM on Moby-Dick: training
 * tokens/s, recording tokens/s (hidden state only, and every internal), the panels' analyses,
 * the editor's latencies, heatmap rendering and steps/s of text activation maximisation. Each
 * throughput is also given in GFLOP/s against the machine's single-precision GEMM throughput
 * (numpy/OpenBLAS in the peer run), the ceiling. PyTorch runs with 1 and with every thread; the
 * ratio uses its faster run. Writes bench/out/results.json and bench/results.md, and flags any
 * workload more than 10 % slower than bench/baseline.json.
 * Not part of CI: the peer is slow to install and numbers vary with load.
 *
 *   npm run bench [-- --no-pytorch] [-- --quick] [-- --save-baseline]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type LanguageModelArchitecture, makeArchitecture } from '../src/engine/architecture';
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
import { measureHeatmap } from './benchHeatmap';
import { MAXIMIZE_SPEED, measureMaximizeSpeed } from './maximizeSpeed';
import { SALIENCY_SPEED, measureSaliencySpeed } from './saliencySpeed';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const HIDDEN = 256;
const RECORD_HIDDEN = [256, 512];
const BATCH = 32;
const SEQ_LEN = 64;
const TRAIN_STEPS = quick ? 3 : 8;
const WARMUP_STEPS = 2;
const RECORD_CHARS = 10_000;
const WORD_EMBEDDING = 128;
const PYTHON = '/usr/bin/python3';
const BENCH_DIR = path.join(__dirname, '..', 'bench');

type PeerKey = 'train_char' | 'train_word' | 'record_internals' | `record_hidden_${number}`;

interface Row {
  what: string;
  ours: number;
  unit: 'tokens/s' | 'steps/s' | 'ms' | 'tokens';
  /** Model FLOPs per token, for GFLOP/s (input projections counted as dense products). */
  flopsPerToken?: number;
  peerKey?: PeerKey;
  peer?: number;
  peerThreads?: number;
}

/**
 * Forward FLOPs per token of an LSTM layer: x·W (in × 4H) and h·U (H × 4H), multiply-adds × 2.
 * A one-hot input's x·W is a row lookup, so char models count in = 0: the arithmetic any tool
 * must do (PyTorch's dense one-hot product is extra work it chooses to do).
 */
function lstmFlops(input: number, hidden: number): number {
  return 2 * (input * 4 * hidden + hidden * 4 * hidden);
}

async function main(): Promise<void> {
  // The targets are the wasm backend's, the one every user has; tfjs-node is measured apart below.
  const backend = await initBackend('wasm');
  const text = mobyDick().text;
  const trainText = text.slice(0, 400_000);
  const sample = text.slice(100_000, 100_000 + RECORD_CHARS);
  const chars = Vocabulary.build(tokenize(text, 'char').map((t) => t.text));
  const charTokenizer = new ModelTokenizer('char', chars);
  const words = Vocabulary.build(
    tokenize(trainText, 'word').map((t) => t.text),
    { minCount: 2, maxSize: 10_000 },
  );
  const wordTokenizer = new ModelTokenizer('word', words);
  const V = chars.size;
  console.log(`backend ${backend}; ${cpuLine()}; char vocabulary ${V}, word vocabulary ${words.size}`);

  const wordIds = wordTokenizer.encode(trainText).ids;
  const peer = args.has('--no-pytorch') ? undefined : runPytorch(trainText, wordIds, words.size);
  const rows: Row[] = [];

  const charArch = makeArchitecture({ cell: 'lstm', level: 'char', vocabSize: V, hiddenSize: HIDDEN });
  const trainFlops = (arch: LanguageModelArchitecture, input: number) => 3 * (lstmFlops(input, HIDDEN) + 2 * HIDDEN * arch.vocabSize);
  rows.push({
    what: `training char LSTM ${HIDDEN}, batch ${BATCH} × ${SEQ_LEN}`,
    ours: await measureTraining(charArch, charTokenizer.encode(trainText).ids),
    unit: 'tokens/s',
    flopsPerToken: trainFlops(charArch, 0),
    peerKey: 'train_char',
  });
  const wordArch = makeArchitecture({
    cell: 'lstm',
    level: 'word',
    vocabSize: words.size,
    hiddenSize: HIDDEN,
    embeddingSize: WORD_EMBEDDING,
  });
  rows.push({
    what: `training word LSTM ${HIDDEN} (embedding ${WORD_EMBEDDING}), batch ${BATCH} × ${SEQ_LEN}`,
    ours: await measureTraining(wordArch, wordIds),
    unit: 'tokens/s',
    flopsPerToken: trainFlops(wordArch, WORD_EMBEDDING),
    peerKey: 'train_word',
  });

  const ids = charTokenizer.encode(sample).ids;
  for (const hidden of RECORD_HIDDEN) {
    const model = LanguageModel.initialize(makeArchitecture({ cell: 'lstm', level: 'char', vocabSize: V, hiddenSize: hidden }), 1);
    const fast = createStreamingRunner(model);
    rows.push({
      what: `recording h, char LSTM ${hidden}, streaming runner`,
      ours: measureRecording(fast, ids, ['h']),
      unit: 'tokens/s',
      flopsPerToken: lstmFlops(0, hidden),
      peerKey: `record_hidden_${hidden}`,
    });
    fast.dispose();
    model.dispose();
  }

  const model = LanguageModel.initialize(charArch, 1);
  const tfjs = new TfjsRunner(model);
  const fast = createStreamingRunner(model);
  rows.push({
    what: `recording h, char LSTM ${HIDDEN}, tfjs ops per step`,
    ours: measureRecording(tfjs, ids, ['h']),
    unit: 'tokens/s',
    flopsPerToken: lstmFlops(0, HIDDEN),
    peerKey: `record_hidden_${HIDDEN}`,
  });
  const all = model.components(0).map((c) => c.id);
  rows.push({
    what: `recording ${all.join(',')}, char LSTM ${HIDDEN}, streaming runner`,
    ours: measureRecording(fast, ids, all),
    unit: 'tokens/s',
    flopsPerToken: lstmFlops(0, HIDDEN),
    peerKey: 'record_internals',
  });
  const maximize = await measureMaximizeSpeed({ steps: quick ? 10 : 30, pytorch: peer !== undefined });
  rows.push({
    what: `text activation maximisation, char LSTM ${MAXIMIZE_SPEED.hidden}, ${MAXIMIZE_SPEED.starts} starts × ${MAXIMIZE_SPEED.length} tokens`,
    ours: maximize.ours,
    unit: 'steps/s',
    peer: maximize.peer?.best,
    peerThreads: maximize.peer?.bestThreads,
  });
  rows.push({
    what: `saliency at the cursor, default model: integrated gradients, ${SALIENCY_SPEED.steps} steps × ${SALIENCY_SPEED.tokens} tokens`,
    ours: await measureSaliencySpeed(sample),
    unit: 'ms',
  });
  const { tokens } = charTokenizer.encode(sample);
  for (const a of measureAnalyses(fast, tokens, ids)) rows.push({ what: a.what, ours: a.ms, unit: 'ms' });
  fast.dispose();

  const editorModel = fs.mkdtempSync(path.join(os.tmpdir(), 'neuron-lens-bench-'));
  for (const e of await measureEditor(model, charTokenizer, sample, editorModel)) {
    rows.push({ what: e.what, ours: e.value, unit: e.unit as Row['unit'] });
  }
  fs.rmSync(editorModel, { recursive: true, force: true });
  model.dispose();
  for (const h of await measureHeatmap(quick ? 1 : 3)) rows.push({ what: h.what, ours: h.ms, unit: 'ms' });
  const tfjsNode = await measureTfjsNode({
    char: { arch: charArch, ids: charTokenizer.encode(trainText).ids, flops: trainFlops(charArch, 0) },
    word: { arch: wordArch, ids: wordIds, flops: trainFlops(wordArch, WORD_EMBEDDING) },
    recordIds: ids,
  });

  for (const r of [...rows, ...(tfjsNode.rows ?? [])]) {
    const best = r.peerKey && peer ? bestPeer(peer, r.peerKey) : undefined;
    if (best) Object.assign(r, { peer: best.value, peerThreads: best.threads });
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const gemm = peer ? Math.max(peer.single.gemm_gflops, peer.all.gemm_gflops) : undefined;
  const regressions = compareWithBaseline(rows);
  const baseline = baselineInfo();
  const report = {
    date: new Date().toISOString(),
    backend,
    cpu: cpuLine(),
    gemmGflops: gemm,
    peakRssMb,
    pytorch: peer,
    rows,
    regressions,
    baseline,
    tfjsNode,
  };

  const markdown = toMarkdown(report);
  console.log('\n' + markdown);
  fs.mkdirSync(path.join(BENCH_DIR, 'out'), { recursive: true });
  fs.writeFileSync(path.join(BENCH_DIR, 'out', 'results.json'), JSON.stringify(report, null, 2));
  fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), markdown);
  if (args.has('--save-baseline')) {
    fs.writeFileSync(path.join(BENCH_DIR, 'baseline.json'), JSON.stringify({ date: report.date, cpu: report.cpu, rows }, null, 2) + '\n');
  }
  console.log(`wrote bench/out/results.json and bench/results.md${args.has('--save-baseline') ? ' and bench/baseline.json' : ''}`);
}

interface TfjsNodeWorkloads {
  char: { arch: LanguageModelArchitecture; ids: Int32Array; flops: number };
  word: { arch: LanguageModelArchitecture; ids: Int32Array; flops: number };
  recordIds: Int32Array;
}

/** The tfjs-node section: measured when it loads (it is optional), else the reason it did not. */
interface TfjsNodeSection {
  reason?: string;
  rows?: Row[];
}

/**
 * The workloads made of tfjs ops (training, the per-step tfjs recorder, the maximisation) again on
 * tfjs-node, which the engine picks automatically where its native library installed. The
 * streaming runner is plain JavaScript and wasm kernels, the same on every backend, so it is not
 * repeated. The backend is set back to wasm afterwards.
 */
async function measureTfjsNode(w: TfjsNodeWorkloads): Promise<TfjsNodeSection> {
  try {
    await initBackend('tensorflow');
  } catch (e) {
    return { reason: e instanceof Error ? e.message : String(e) };
  }
  try {
    const rows: Row[] = [];
    for (const [name, job, peerKey] of [
      ['char', w.char, 'train_char'],
      ['word', w.word, 'train_word'],
    ] as const) {
      rows.push({
        what: `training ${name} LSTM ${HIDDEN}, batch ${BATCH} × ${SEQ_LEN}`,
        ours: await measureTraining(job.arch, job.ids),
        unit: 'tokens/s',
        flopsPerToken: job.flops,
        peerKey,
      });
    }
    const model = LanguageModel.initialize(w.char.arch, 1);
    const tfjs = new TfjsRunner(model);
    rows.push({
      what: `recording h, char LSTM ${HIDDEN}, tfjs ops per step`,
      ours: measureRecording(tfjs, w.recordIds, ['h']),
      unit: 'tokens/s',
      flopsPerToken: lstmFlops(0, HIDDEN),
      peerKey: `record_hidden_${HIDDEN}`,
    });
    tfjs.dispose();
    model.dispose();
    const maximize = await measureMaximizeSpeed({ steps: quick ? 10 : 30, pytorch: false });
    rows.push({ what: `text activation maximisation, char LSTM ${MAXIMIZE_SPEED.hidden}`, ours: maximize.ours, unit: 'steps/s' });
    return { rows };
  } finally {
    await initBackend('wasm');
  }
}

async function measureTraining(architecture: LanguageModelArchitecture, ids: Int32Array): Promise<number> {
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
  for (let start = 0; start < ids.length; start += 256) {
    runner.run(ids.subarray(start, Math.min(ids.length, start + 256)), state, sinks, start);
  }
  const seconds = (performance.now() - started) / 1000;
  if (tf.memory().numTensors !== before) throw new Error(`recording leaked ${tf.memory().numTensors - before} tensors`);
  return ids.length / seconds;
}

type PytorchResult = Record<PeerKey | 'gemm_gflops' | 'peak_rss_mb' | 'threads', number> & { torch: string };

/** PyTorch with one thread and with every core, on the same texts. */
function runPytorch(text: string, wordIds: Int32Array, wordVocab: number): { single: PytorchResult; all: PytorchResult } | undefined {
  if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import torch, numpy']).status !== 0) {
    console.log(`PyTorch peer skipped: ${PYTHON} with torch and numpy not found (apt-get install python3-torch)`);
    return undefined;
  }
  const run = (threads: number): PytorchResult => {
    const job = {
      char_text: text,
      word_ids: Array.from(wordIds),
      word_vocab: wordVocab,
      hidden: HIDDEN,
      record_hidden: RECORD_HIDDEN,
      batch: BATCH,
      seq_len: SEQ_LEN,
      train_steps: TRAIN_STEPS,
      warmup: WARMUP_STEPS,
      record_chars: RECORD_CHARS,
      threads,
    };
    const r = spawnSync(PYTHON, [path.join(BENCH_DIR, 'pytorch_peer.py')], {
      input: JSON.stringify(job),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`PyTorch peer failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as PytorchResult;
  };
  const single = run(1);
  const all = run(os.availableParallelism());
  console.log(`PyTorch ${single.torch}: measured with 1 thread and with ${all.threads}; the faster run counts`);
  return { single, all };
}

function bestPeer(peer: { single: PytorchResult; all: PytorchResult }, key: PeerKey): { value: number; threads: number } {
  const a = peer.single[key] ?? 0;
  const b = peer.all[key] ?? 0;
  return a >= b ? { value: a, threads: peer.single.threads } : { value: b, threads: peer.all.threads };
}

/** When and where the baseline was recorded (older baselines did not say where). */
function baselineInfo(): { date: string; cpu?: string } | undefined {
  const file = path.join(BENCH_DIR, 'baseline.json');
  if (!fs.existsSync(file)) return undefined;
  const b = JSON.parse(fs.readFileSync(file, 'utf8')) as { date: string; cpu?: string };
  return { date: b.date, cpu: b.cpu };
}

/** Workloads more than 10 % slower than the recorded baseline (throughput down, or time up). */
function compareWithBaseline(rows: Row[]): string[] | undefined {
  const file = path.join(BENCH_DIR, 'baseline.json');
  if (!fs.existsSync(file)) return undefined;
  const baseline = new Map((JSON.parse(fs.readFileSync(file, 'utf8')) as { rows: Row[] }).rows.map((r) => [r.what, r]));
  const flagged: string[] = [];
  for (const r of rows) {
    const b = baseline.get(r.what);
    if (!b || b.unit !== r.unit || r.unit === 'tokens') continue;
    const throughput = r.unit === 'tokens/s' || r.unit === 'steps/s';
    const slower = throughput ? r.ours < 0.9 * b.ours : r.ours > 1.1 * b.ours;
    if (slower) flagged.push(`${r.what}: ${fmt(r.ours)} ${r.unit}, baseline ${fmt(b.ours)}`);
  }
  return flagged;
}

const TABLE_HEAD = [
  '| workload | ours | PyTorch (best of 1/2 threads) | ours / PyTorch | ours GFLOP/s (% of GEMM) | PyTorch GFLOP/s |',
  '| --- | --- | --- | --- | --- | --- |',
];

function toMarkdown(report: {
  date: string;
  backend: string;
  cpu: string;
  gemmGflops?: number;
  peakRssMb: number;
  pytorch?: { single: PytorchResult };
  rows: Row[];
  regressions: string[] | undefined;
  baseline: { date: string; cpu?: string } | undefined;
  tfjsNode: TfjsNodeSection;
}): string {
  const ceiling = report.gemmGflops;
  const lines = [
    `# Benchmark results`,
    '',
    `${report.date.slice(0, 10)}, backend ${report.backend}, ${report.cpu}. PyTorch ${report.pytorch?.single.torch ?? 'not measured'}` +
      (ceiling
        ? `; single-precision GEMM ceiling (the better of numpy and torch.mm, 1024², best thread count) ${ceiling.toFixed(1)} GFLOP/s.`
        : '.'),
    `Peak memory: ours ${report.peakRssMb.toFixed(0)} MB for the whole run` +
      (report.pytorch ? `, PyTorch ${report.pytorch.single.peak_rss_mb.toFixed(0)} MB (1-thread run).` : '.'),
    '',
    ...TABLE_HEAD,
  ];
  const gflops = (perSecond: number | undefined, flops: number | undefined): string => {
    if (perSecond === undefined || flops === undefined) return '';
    const g = (perSecond * flops) / 1e9;
    return `${g.toFixed(2)}${ceiling ? ` (${((100 * g) / ceiling).toFixed(0)} %)` : ''}`;
  };
  const tableRow = (r: Row) =>
    `| ${r.what} | ${fmt(r.ours)} ${r.unit} | ${r.peer === undefined ? '' : `${fmt(r.peer)} ${r.unit} (${r.peerThreads} thr.)`} | ${
      r.peer === undefined ? '' : `${(r.ours / r.peer).toFixed(2)}×`
    } | ${r.unit === 'tokens/s' ? gflops(r.ours, r.flopsPerToken) : ''} | ${r.unit === 'tokens/s' ? gflops(r.peer, r.flopsPerToken) : ''} |`;
  for (const r of report.rows) lines.push(tableRow(r));
  lines.push(
    '',
    report.regressions === undefined
      ? 'No bench/baseline.json to compare with yet (`npm run bench -- --save-baseline` records one).'
      : report.regressions.length
        ? '**More than 10 % slower than bench/baseline.json:**'
        : 'No workload is more than 10 % slower than bench/baseline.json.',
  );
  for (const r of report.regressions ?? []) lines.push(`- ${r}`);
  if (report.baseline && report.baseline.cpu !== report.cpu) {
    lines.push(
      '',
      `The baseline was recorded ${report.baseline.date.slice(0, 10)} on ${report.baseline.cpu ?? 'a machine it does not name'}, not on this ${report.cpu}: a difference may be the machine's, not the code's (\`--save-baseline\` records one here).`,
    );
  }
  lines.push('', '## tfjs-node (native TensorFlow, optional)', '');
  if (report.tfjsNode.rows) {
    lines.push(
      'The tfjs-op workloads again on the tensorflow backend, which the engine uses automatically where @tensorflow/tfjs-node installed.',
      '',
      ...TABLE_HEAD,
      ...report.tfjsNode.rows.map(tableRow),
    );
  } else {
    lines.push(`Not measured on this machine: ${report.tfjsNode.reason ?? 'unavailable'}.`);
  }
  return lines.join('\n') + '\n';
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
