import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isTemporaryFile, writeFileAtomic } from '../shared/atomicWrite';
import { describeValue } from '../shared/errors';
import type { LanguageModelArchitecture } from './architecture';
import { NeuronLensError } from './errors';
import { LanguageModel, modelWeightSpecs } from './languageModel';
import { MAX_WEIGHT_BYTES } from './modelFolder';

/**
 * Light snapshots: copies of a model's weights (no optimizer state) taken during training, kept in
 * `<model folder>/snapshots/` so a neuron can be followed across training. Each snapshot is one
 * file of raw little-endian float32 values, the weights concatenated in the architecture's weight
 * order (the order of `modelWeightSpecs`, also listed in the index), so any tfjs weight manifest
 * with those entries decodes it. `index.json` lists them; it is rewritten atomically after each new
 * file, so a crash leaves either the old or the new list, and every file the list names exists.
 */
export const SNAPSHOTS_DIR = 'snapshots';
export const SNAPSHOT_INDEX = 'index.json';
export const SNAPSHOT_FORMAT = 'neuron-lens-snapshots';
export const DEFAULT_MAX_SNAPSHOTS = 20;
/** An index lists at most this many entries: it is metadata, never a big file. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

export interface SnapshotEntry {
  step: number;
  /** File name inside `snapshots/`. */
  file: string;
  bytes: number;
  /** Validation loss at that step (bits per token), when training had measured it. */
  validationBits?: number;
}

export interface SnapshotIndex {
  format: typeof SNAPSHOT_FORMAT;
  version: 1;
  /** Names and shapes of the weights, in file order. */
  weights: { name: string; shape: number[] }[];
  snapshots: SnapshotEntry[];
}

export function snapshotFileName(step: number): string {
  return `step-${String(step).padStart(6, '0')}.bin`;
}

/**
 * Which snapshots (indices into `steps`, ascending) to keep so that at most `max` remain. The first
 * and the last are always kept; while there are too many, the inner snapshot whose removal leaves
 * the smallest gap between its neighbours goes (the earliest on ties). Applied after every new
 * snapshot, this keeps the steps as evenly spread over the whole run as the files still on disk
 * allow: the history covers all of training at a coarser resolution rather than only its end.
 */
export function thinSnapshots(steps: readonly number[], max: number): number[] {
  if (!Number.isInteger(max) || max < 2) throw new NeuronLensError(`maxSnapshots must be an integer of at least 2, not ${max}`);
  const kept = steps.map((_, i) => i);
  while (kept.length > max) {
    let drop = 1;
    for (let k = 2; k < kept.length - 1; k++) {
      if (steps[kept[k + 1]!]! - steps[kept[k - 1]!]! < steps[kept[drop + 1]!]! - steps[kept[drop - 1]!]!) drop = k;
    }
    kept.splice(drop, 1);
  }
  return kept;
}

function indexPath(dir: string): string {
  return path.join(dir, SNAPSHOTS_DIR, SNAPSHOT_INDEX);
}

function bad(file: string, what: string): never {
  throw new NeuronLensError(`Invalid snapshot index ${file}: ${what}`, 'invalid-model');
}

const FILE_NAME = /^step-\d{6,}\.bin$/;

/** The snapshots a model folder holds, oldest first; [] when it has none. Validates the index. */
export function readSnapshotIndex(dir: string): SnapshotIndex | undefined {
  const file = indexPath(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) bad(file, 'not a file');
  if (stat.size > MAX_INDEX_BYTES) bad(file, `larger than ${MAX_INDEX_BYTES / 1048576} MB`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    bad(file, `not valid JSON (${(e as Error).message.slice(0, 200)})`);
  }
  const o = json as Partial<SnapshotIndex> | null;
  if (typeof o !== 'object' || o === null || o.format !== SNAPSHOT_FORMAT)
    bad(file, `format ${describeValue(o?.format)}, expected "${SNAPSHOT_FORMAT}"`);
  if (o.version !== 1) bad(file, `unsupported version ${describeValue(o.version)} (this version reads 1)`);
  if (
    !Array.isArray(o.weights) ||
    !o.weights.every(
      (w) =>
        typeof w === 'object' &&
        w !== null &&
        typeof w.name === 'string' &&
        Array.isArray(w.shape) &&
        w.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0),
    )
  )
    bad(file, 'the weight list is malformed');
  if (!Array.isArray(o.snapshots)) bad(file, 'snapshots must be a list');
  let previous = -1;
  o.snapshots.forEach((s, i) => {
    const e = s as Partial<SnapshotEntry> | null;
    if (typeof e !== 'object' || e === null) bad(file, `entry ${i} is not an object`);
    if (!Number.isSafeInteger(e.step) || e.step! <= previous)
      bad(file, `entry ${i} has step ${describeValue(e.step)}; steps must increase`);
    // Only plain names of our own pattern: an index must not point elsewhere on disk.
    if (typeof e.file !== 'string' || !FILE_NAME.test(e.file)) bad(file, `entry ${i} names an unsafe file ${describeValue(e.file)}`);
    if (!Number.isSafeInteger(e.bytes) || e.bytes! < 0) bad(file, `entry ${i} has a malformed byte count`);
    if (e.validationBits !== undefined && e.validationBits !== null && typeof e.validationBits !== 'number')
      bad(file, `entry ${i} has a malformed validationBits`);
    if (e.validationBits === null) delete e.validationBits;
    previous = e.step!;
  });
  return o as SnapshotIndex;
}

export function listSnapshots(dir: string): SnapshotEntry[] {
  return readSnapshotIndex(dir)?.snapshots ?? [];
}

function weightList(arch: LanguageModelArchitecture): { name: string; shape: number[] }[] {
  return modelWeightSpecs(arch).map((s) => ({ name: s.name, shape: [...s.shape] }));
}

function weightBytes(weights: { shape: number[] }[]): number {
  return weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Adds a snapshot of `model` at `step` to `dir`, replacing any snapshot at this or a later step
 * (a resumed run overwrites what an abandoned one left after the checkpoint), then thins the list
 * to `maxSnapshots`. The file is written before the index names it; dropped files are removed after.
 */
export async function saveSnapshot(
  dir: string,
  model: LanguageModel,
  step: number,
  options: { validationBits?: number; maxSnapshots?: number } = {},
): Promise<SnapshotEntry> {
  const max = options.maxSnapshots ?? DEFAULT_MAX_SNAPSHOTS;
  thinSnapshots([], max);
  const folder = path.join(dir, SNAPSHOTS_DIR);
  await fs.promises.mkdir(folder, { recursive: true });
  const weights = weightList(model.architecture);
  let previous: SnapshotIndex | undefined;
  try {
    previous = readSnapshotIndex(dir);
  } catch {
    // A damaged index is replaced rather than stopping training; the files it named stay on disk.
    previous = undefined;
  }
  const sameWeights = previous && JSON.stringify(previous.weights) === JSON.stringify(weights);
  const kept = sameWeights ? previous!.snapshots.filter((s) => s.step < step) : [];

  const bytes = new Uint8Array(weightBytes(weights));
  let offset = 0;
  for (const w of weights) {
    const values = model.weight(w.name).dataSync() as Float32Array;
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    offset += values.byteLength;
  }
  const entry: SnapshotEntry = {
    step,
    file: snapshotFileName(step),
    bytes: bytes.length,
    ...(options.validationBits !== undefined && Number.isFinite(options.validationBits) ? { validationBits: options.validationBits } : {}),
  };
  await writeFileAtomic(path.join(folder, entry.file), bytes);
  const all = [...kept, entry];
  const snapshots = thinSnapshots(
    all.map((s) => s.step),
    max,
  ).map((i) => all[i]!);
  const index: SnapshotIndex = { format: SNAPSHOT_FORMAT, version: 1, weights, snapshots };
  await writeFileAtomic(indexPath(dir), JSON.stringify(index, null, 1));
  const listed = new Set(snapshots.map((s) => s.file));
  for (const s of [...(previous?.snapshots ?? []), ...all]) {
    if (!listed.has(s.file)) await fs.promises.rm(path.join(folder, s.file), { force: true });
  }
  // Leftovers of writes a crash interrupted.
  for (const f of await fs.promises.readdir(folder)) if (isTemporaryFile(f)) await fs.promises.rm(path.join(folder, f), { force: true });
  return entry;
}

/**
 * The model as it was at one snapshot. Checks the file against the index and the architecture
 * before reading it; every problem is a message naming the file.
 */
export function loadSnapshotModel(dir: string, architecture: LanguageModelArchitecture, entry: SnapshotEntry): LanguageModel {
  const file = path.join(dir, SNAPSHOTS_DIR, entry.file);
  const fail = (what: string): never => {
    throw new NeuronLensError(`Snapshot ${file}: ${what}`, 'invalid-model');
  };
  const index = readSnapshotIndex(dir);
  const weights = weightList(architecture);
  if (index && JSON.stringify(index.weights) !== JSON.stringify(weights))
    fail(`its weights (${index.weights.length} listed in ${SNAPSHOT_INDEX}) do not match the model's architecture`);
  const expected = weightBytes(weights);
  if (expected > MAX_WEIGHT_BYTES) fail(`would need ${(expected / 1048576).toFixed(0)} MB, more than the limit`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return fail('the file is missing');
  }
  if (!stat.isFile()) fail('not a file');
  if (entry.bytes !== expected) fail(`${SNAPSHOT_INDEX} lists ${entry.bytes} bytes, the model's architecture needs ${expected}`);
  if (stat.size !== expected)
    fail(
      `has ${stat.size} bytes, expected ${expected}${stat.size < expected ? ' (truncated)' : stat.size > expected ? ' (too long)' : ''}`,
    );
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (e) {
    return fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (data.length !== expected) fail('changed while it was read');
  const values = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const tensors = new Map<string, tf.Tensor>();
  try {
    let offset = 0;
    for (const w of weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      const part = values.subarray(offset, offset + size);
      if (!part.every(Number.isFinite)) fail(`weight ${w.name} contains NaN or infinite values`);
      tensors.set(w.name, tf.tensor(part, w.shape, 'float32'));
      offset += size;
    }
    return new LanguageModel(architecture, tensors);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
