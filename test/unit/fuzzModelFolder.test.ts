/**
 * Fuzz test of the model folder loader (issue 7): thousands of random and mutated model folders,
 * seeded and bounded in time. Every folder either loads or fails with a NeuronLensError whose
 * message names the folder; never a TypeError/RangeError, a hang or an unhandled rejection, and
 * no tensor is left behind either way.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { NeuronLensError } from '../../src/engine/errors';
import { MODEL_FILE, type ModelJSON, loadModel, readModelInfo, saveModel } from '../../src/engine/modelFolder';
import { summarizeModel } from '../../src/engine/modelSummary';
import { recordActivations } from '../../src/engine/recorder';
import { summaryLines } from '../../src/shared/modelSummary';
import { tempDir, tinyModel } from './helpers';

/** Wall-clock budget per fuzz test; the case count is a ceiling. */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 12_000);
const MAX_CASES = Number(process.env.FUZZ_CASES ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? 20240607);

/** mulberry32: small, seeded, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

function deepNest(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Values that have broken parsers before: wrong types, extremes, huge and deep structures. */
function nastyValue(r: Rand): unknown {
  switch (int(r, 22)) {
    case 0:
      return null;
    case 1:
      return -1;
    case 2:
      return 0;
    case 3:
      return 1e308;
    case 4:
      return 2 ** 31;
    case 5:
      return 2 ** 53 + 2;
    case 6:
      return -0.5;
    case 7:
      return 3.7;
    case 8:
      return '';
    case 9:
      return 'x'.repeat(int(r, 5000));
    case 10:
      return [];
    case 11:
      return {};
    case 12:
      return true;
    case 13:
      // Deep enough to overflow a naive recursive walk, shallow enough for JSON.stringify (the raw cases go deeper).
      return JSON.parse(deepNest(1000 + int(r, 2000), 'array'));
    case 14:
      return JSON.parse(deepNest(1000 + int(r, 2000), 'object'));
    case 15:
      return Array.from({ length: int(r, 2000) }, (_, i) => i);
    case 16:
      return '__proto__';
    case 17:
      return { __proto__: 1, constructor: 2 };
    case 18:
      return ['../../etc/passwd'];
    case 19:
      return [1e6, 1e6];
    case 20:
      return 1_000_000;
    default:
      return int(r, 100) - 10;
  }
}

/** Every [parent, key] in a JSON tree, so a mutation can land anywhere. */
function slots(root: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      // Long arrays (vocabularies, shapes) contribute a few slots, not thousands.
      for (let i = 0; i < Math.min(v.length, 6); i++) {
        out.push([v, i]);
        visit(v[i], depth + 1);
      }
    } else {
      for (const k of Object.keys(v)) {
        out.push([v as Record<string, unknown>, k]);
        visit((v as Record<string, unknown>)[k], depth + 1);
      }
    }
  };
  visit(root, 0);
  return out;
}

function mutateJSON(r: Rand, j: ModelJSON): void {
  const rounds = 1 + int(r, 3);
  for (let k = 0; k < rounds; k++) {
    const all = slots(j);
    const [parent, key] = pick(r, all);
    const op = int(r, 10);
    if (op < 5) (parent as Record<string, unknown>)[key as string] = nastyValue(r);
    else if (op < 7) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (op === 7) {
      // Another node's value, so types are plausible but wrong for the place.
      const [p2, k2] = pick(r, all);
      (parent as Record<string, unknown>)[key as string] = structuredClone((p2 as Record<string, unknown>)[k2 as string]);
    } else if (op === 8 && Array.isArray(parent)) parent.push(structuredClone(parent[0]));
    else (parent as Record<string, unknown>)[`extra${int(r, 3)}`] = nastyValue(r);
  }
}

/** Targeted mutations of the fields that drive allocation. */
function mutateSizes(r: Rand, j: ModelJSON): void {
  const arch = j.modelTopology.architecture as unknown as Record<string, unknown>;
  const layers = arch.layers as Record<string, unknown>[];
  const weights = j.weightsManifest[0]!.weights;
  switch (int(r, 9)) {
    case 0:
      arch.vocabSize = pick(r, [-5, 0, 1, 1e6, 1e6 + 1, 2 ** 40, 1e308, 12.5]);
      break;
    case 1:
      layers[0]!.units = pick(r, [-1, 0, 8192, 8193, 2 ** 31, 1e308]);
      break;
    case 2:
      arch.embeddingSize = pick(r, [-1, 8192, 8193, 1e9]);
      break;
    case 3: {
      const w = pick(r, weights);
      w.shape = pick(r, [[-1], [1e9, 1e9], [2 ** 31, 4], [0], [3.5, 2], [], [1e308], [null as unknown as number]]);
      break;
    }
    case 4:
      // A vocabulary that does not match vocabSize (the enormous ones are a targeted test below).
      j.userDefinedMetadata.tokenizer.vocabulary.tokens.push(...Array.from({ length: 1 + int(r, 500) }, (_, i) => `t${i}`));
      break;
    case 5:
      arch.layers = Array.from({ length: pick(r, [0, 16, 17, 1000]) }, () => structuredClone(layers[0]));
      break;
    case 6:
      j.weightsManifest[0]!.paths = [pick(r, ['../model.json', '/etc/passwd', '.hidden.bin', 'sub/dir.bin', 'nope.bin', MODEL_FILE, ''])];
      break;
    case 7:
      weights.push(structuredClone(weights[0]!));
      break;
    default: {
      const w = pick(r, weights) as unknown as Record<string, unknown>;
      w.dtype = pick(r, ['int32', 'float16', 'string', 'bool', 'complex64', null]);
      break;
    }
  }
}

function mutateBytes(r: Rand, bytes: Buffer): Buffer {
  switch (int(r, 5)) {
    case 0:
      return bytes.subarray(0, int(r, bytes.length));
    case 1:
      return Buffer.concat([bytes, Buffer.alloc(1 + int(r, 64), int(r, 256))]);
    case 2: {
      const b = Buffer.from(bytes);
      for (let k = 0, n = 1 + int(r, 8); k < n; k++) {
        const i = int(r, b.length);
        b[i] = b[i]! ^ (1 << int(r, 8));
      }
      return b;
    }
    case 3: {
      // NaN / Infinity written over one float.
      const b = Buffer.from(bytes);
      b.writeFloatLE(pick(r, [NaN, Infinity, -Infinity]), 4 * int(r, b.length / 4));
      return b;
    }
    default:
      return Buffer.alloc(0);
  }
}

interface Base {
  dir: string;
  json: ModelJSON;
  files: Map<string, Buffer>;
}

function writeCase(dir: string, jsonText: string | Buffer, files: Map<string, Buffer>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, MODEL_FILE), jsonText);
  for (const [name, bytes] of files) fs.writeFileSync(path.join(dir, name), bytes);
}

/** One case: load it, check the outcome, check nothing leaked. */
async function check(dir: string, label: string): Promise<'loaded' | 'rejected'> {
  const before = tf.memory().numTensors;
  let outcome: 'loaded' | 'rejected';
  try {
    const loaded = await loadModel(dir);
    try {
      // A model that loads must also be usable: summary, description and a short recording.
      summaryLines(summarizeModel(loaded));
      await recordActivations(loaded, 'the cat sat');
    } finally {
      loaded.model.dispose();
      for (const w of loaded.optimizerWeights ?? []) w.tensor.dispose();
    }
    outcome = 'loaded';
  } catch (e) {
    if (!(e instanceof NeuronLensError)) {
      assert.fail(`${label}: expected a NeuronLensError, got ${(e as Error)?.stack ?? String(e)}`);
    }
    assert.ok(e.message.includes(dir), `${label}: the message does not name the folder: ${e.message}`);
    assert.ok(e.message.length < 2000, `${label}: message of ${e.message.length} characters`);
    outcome = 'rejected';
  }
  assert.equal(tf.memory().numTensors, before, `${label}: tensors leaked`);
  try {
    readModelInfo(dir);
  } catch (e) {
    if (!(e instanceof NeuronLensError)) assert.fail(`${label}: readModelInfo threw ${(e as Error)?.stack ?? String(e)}`);
    assert.ok(e.message.includes(dir), `${label}: readModelInfo's message does not name the folder: ${e.message}`);
  }
  return outcome;
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

describe('fuzz: model folders', () => {
  let base: Base;
  before(async () => {
    await initBackend('wasm');
    process.on('unhandledRejection', onUnhandled);
    const dir = tempDir('neuron-lens-fuzz-base-');
    const m = tinyModel('lstm', 'word', 5, 6, 2);
    const optimizerWeights = [
      { name: 'iter', tensor: tf.scalar(3, 'int32') },
      { name: 'output/bias/m', tensor: tf.ones([m.tokenizer.vocabulary.size]) },
    ];
    const training = {
      corpus: 'fuzz',
      steps: 3,
      targetSteps: 10,
      completed: false,
      seqLen: 8,
      batch: 2,
      learningRate: 0.01,
      clipNorm: 5,
      seed: 1,
      history: [{ step: 1, trainBits: 4.2, validationBits: 4.4 }],
    };
    await saveModel(dir, { ...m, training, optimizerWeights });
    m.model.dispose();
    tf.dispose(optimizerWeights.map((w) => w.tensor));
    const json = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as ModelJSON;
    const files = new Map(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.bin'))
        .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
    );
    base = { dir, json, files };
  });
  after(() => {
    process.off('unhandledRejection', onUnhandled);
    fs.rmSync(base.dir, { recursive: true, force: true });
  });

  test('the unmutated folder loads', async () => {
    assert.equal(await check(base.dir, 'base'), 'loaded');
  });

  test(
    `mutated model.json, weight files and folder layouts (seed ${SEED}, ≤ ${BUDGET_MS / 1000} s)`,
    { timeout: BUDGET_MS + 60_000 },
    async () => {
      const r = rng(SEED);
      const dir = path.join(tempDir('neuron-lens-fuzz-'), 'model');
      const counts = { loaded: 0, rejected: 0 };
      const times: number[] = [];
      const start = Date.now();
      let n = 0;
      for (; n < MAX_CASES && Date.now() - start < BUDGET_MS; n++) {
        const json = structuredClone(base.json);
        const files = new Map(base.files);
        const kind = int(r, 10);
        let text: string | Buffer;
        if (kind < 4) mutateJSON(r, json);
        else if (kind < 6) mutateSizes(r, json);
        if (kind === 6 || kind === 7) {
          const name = pick(r, [...files.keys()]);
          files.set(name, mutateBytes(r, files.get(name)!));
        }
        try {
          text = JSON.stringify(json);
        } catch {
          // Mutations stacked two deep values: too deep for JSON.stringify itself; the raw cases cover that.
          continue;
        }
        if (kind === 8) {
          // Raw text damage: truncation, flipped bytes, invalid UTF-8, deep nesting, not JSON at all.
          const raw = Buffer.from(text);
          text = pick(r, [
            raw.subarray(0, int(r, raw.length)),
            Buffer.concat([raw, Buffer.from([0xff, 0xfe])]),
            Buffer.from(deepNest(int(r, 100_000), 'array')),
            Buffer.from(`{"format":${deepNest(int(r, 50_000), 'array')}}`),
            Buffer.from('null'),
            Buffer.from('"neuron-lens-model"'),
            Buffer.from([0x00, 0x01, 0x02]),
            (() => {
              const b = Buffer.from(raw);
              for (let k = 0; k < 4; k++) b[int(r, b.length)] = int(r, 256);
              return b;
            })(),
          ]);
        }
        writeCase(dir, text, files);
        if (kind === 9) {
          // Folder layout damage: missing or unreadable pieces, directories where files belong.
          const name = pick(r, [...files.keys(), MODEL_FILE]);
          const file = path.join(dir, name);
          switch (int(r, 3)) {
            case 0:
              fs.rmSync(file);
              break;
            case 1:
              fs.rmSync(file);
              fs.mkdirSync(file);
              break;
            default:
              fs.chmodSync(file, 0);
          }
        }
        const t0 = Date.now();
        counts[await check(dir, `case ${n} (kind ${kind})`)]++;
        if (process.env.FUZZ_TIMES) times[kind] = (times[kind] ?? 0) + Date.now() - t0;
      }
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
      assert.deepEqual(unhandled, []);
      assert.ok(counts.loaded > 0 && counts.rejected > 0, JSON.stringify(counts));
      console.log(
        `# fuzz model folders: ${n} cases in ${Date.now() - start} ms: ${JSON.stringify(counts)}${process.env.FUZZ_TIMES ? ` ${JSON.stringify(times)}` : ''}`,
      );
    },
  );

  test('random bytes and random JSON as model.json', { timeout: BUDGET_MS + 60_000 }, async () => {
    const r = rng(SEED + 1);
    const dir = path.join(tempDir('neuron-lens-fuzz-'), 'model');
    const start = Date.now();
    let n = 0;
    for (; n < MAX_CASES && Date.now() - start < BUDGET_MS / 3; n++) {
      const text =
        r() < 0.5
          ? Buffer.from(Array.from({ length: int(r, 300) }, () => int(r, 256)))
          : JSON.stringify({
              format: 'neuron-lens-model',
              modelTopology: { formatVersion: 1, architecture: nastyValue(r) },
              weightsManifest: nastyValue(r),
              userDefinedMetadata: nastyValue(r),
            });
      writeCase(dir, text, base.files);
      assert.equal(await check(dir, `random case ${n}`), 'rejected');
    }
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    assert.deepEqual(unhandled, []);
    console.log(`# fuzz random model.json: ${n} cases in ${Date.now() - start} ms`);
  });

  /** Cases the fuzzer found or that need a particular set-up; each failed before the fixes in modelFolder.ts. */
  const targeted: [string, (dir: string, json: ModelJSON) => void, RegExp][] = [
    [
      'model.json is a folder',
      (dir) => (fs.rmSync(path.join(dir, MODEL_FILE)), fs.mkdirSync(path.join(dir, MODEL_FILE))),
      /model file model.json is not a file/,
    ],
    [
      'a weight file is a folder',
      (dir, j) => (
        fs.rmSync(path.join(dir, j.weightsManifest[0]!.paths[0]!)),
        fs.mkdirSync(path.join(dir, j.weightsManifest[0]!.paths[0]!))
      ),
      /is not a file/,
    ],
    [
      'a 3 GB (sparse) weight file is rejected by its size, unread',
      (dir, j) => fs.truncateSync(path.join(dir, j.weightsManifest[0]!.paths[0]!), 3 * 2 ** 30),
      /too long/,
    ],
    [
      'a weight listed twice',
      (dir, j) => rewrite(dir, j, () => j.weightsManifest[0]!.weights.push(structuredClone(j.weightsManifest[0]!.weights[0]!))),
      /lists weight .* twice/,
    ],
    [
      'an optimizer weight named __proto__',
      (dir, j) => rewrite(dir, j, () => (j.userDefinedMetadata.optimizer!.weights[0]!.name = '__proto__')),
      /optimizer manifest has a malformed entry/,
    ],
    [
      'training metadata without history',
      (dir, j) =>
        rewrite(dir, j, () => delete (j.userDefinedMetadata.training as Partial<ModelJSON['userDefinedMetadata']['training']>)!.history),
      /training metadata: history/,
    ],
    [
      'training metadata that is a string',
      (dir, j) => rewrite(dir, j, () => ((j.userDefinedMetadata as Record<string, unknown>).training = 'x')),
      /training metadata: not an object/,
    ],
    [
      'a format nested 100,000 deep',
      (dir) => fs.writeFileSync(path.join(dir, MODEL_FILE), `{"format":${deepNest(100_000, 'array')}}`),
      /format a list of 1/,
    ],
    [
      'an architecture nested deep',
      (dir, j) =>
        rewrite(
          dir,
          j,
          () => ((j.modelTopology.architecture as unknown as Record<string, unknown>).cell = JSON.parse(deepNest(2000, 'object'))),
        ),
      /unknown cell an object/,
    ],
    [
      'an enormous vocabulary (1,000,000 tokens) with 8192 units: refused before any allocation',
      (dir, j) =>
        rewrite(dir, j, () => {
          j.userDefinedMetadata.tokenizer.vocabulary.tokens = ['<unk>', ...Array.from({ length: 999_999 }, (_, i) => `t${i}`)];
          const arch = j.modelTopology.architecture;
          arch.vocabSize = 1_000_000;
          arch.layers = arch.layers.map((l) => ({ ...l, units: 8192 }));
        }),
      /has shape|would need/,
    ],
    [
      'the manifest names model.json as a weight file',
      (dir, j) => rewrite(dir, j, () => (j.weightsManifest[0]!.paths = [MODEL_FILE])),
      /unsafe path "model.json"/,
    ],
  ];
  function rewrite(dir: string, j: ModelJSON, edit: () => void): void {
    edit();
    fs.writeFileSync(path.join(dir, MODEL_FILE), JSON.stringify(j));
  }
  for (const [name, damage, pattern] of targeted) {
    test(`targeted: ${name}`, async () => {
      const dir = path.join(tempDir('neuron-lens-fuzz-'), 'model');
      writeCase(dir, JSON.stringify(base.json), base.files);
      damage(dir, structuredClone(base.json));
      const before = tf.memory().numTensors;
      await assert.rejects(loadModel(dir), (e: unknown) => {
        assert.ok(e instanceof NeuronLensError, `expected a NeuronLensError, got ${(e as Error)?.stack ?? String(e)}`);
        assert.ok(e.message.includes(dir), e.message);
        assert.match(e.message, pattern);
        return true;
      });
      assert.equal(tf.memory().numTensors, before);
      await check(dir, name);
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    });
  }
});
