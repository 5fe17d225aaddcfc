import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../shared/atomicWrite';
import { NeuronLensError, isNeuronLensError } from './errors';
import type { SpectrumScale, SpectrumWindow } from './fourier';
import { parseFeature } from '../shared/featureOfInterest';
import { RELEVANCE_STATISTICS, type RelevanceStatistic, isRelevanceStatistic } from '../shared/relevanceStatistics';
import { describeValue } from '../shared/errors';

/**
 * An experiment: the choices behind an analysis (features of interest, neurons, band of interest,
 * plot options), kept in a JSON file in the workspace so it can be versioned and rerun by the
 * panels and the CLI alike. The JSON schema in media/experiment.schema.json mirrors this.
 */
export interface Experiment {
  version: 1;
  /** Model folder, relative to the experiment file or absolute. */
  model?: string;
  layer: number;
  component: string;
  /** Exact token texts or `/regex/flags` matched against whole tokens. */
  features: string[];
  statistic: RelevanceStatistic;
  /** Hypotheses proposed per feature. */
  topK: number;
  /** Neurons to study (spectra, heatmap rows); empty = all. */
  neurons: number[];
  /** Band of interest in cycles per token, within [0, 0.5]. */
  band: [number, number];
  window: SpectrumWindow;
  spectrumScale: SpectrumScale;
}

export const DEFAULT_EXPERIMENT: Experiment = {
  version: 1,
  layer: 0,
  component: 'h',
  features: [' ', '.'],
  statistic: 'cohen-d',
  topK: 5,
  neurons: [],
  band: [0.4, 0.5],
  window: 'none',
  spectrumScale: 'power',
};

const KEYS = new Set(Object.keys(DEFAULT_EXPERIMENT).concat(['$schema', 'model']));

/** Validates parsed JSON into an Experiment, filling defaults; names the first problem found. */
export function parseExperiment(json: unknown, source = 'experiment'): Experiment {
  const fail = (why: string): never => {
    throw new NeuronLensError(`${source}: ${why}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('must be a JSON object');
  const j = json as Record<string, unknown>;
  for (const key of Object.keys(j)) if (!KEYS.has(key)) fail(`unknown field "${key}"`);
  const e: Experiment = { ...DEFAULT_EXPERIMENT, ...(j as Partial<Experiment>) };
  if (e.version !== 1) fail(`unsupported version ${describeValue(e.version)} (this build reads version 1)`);
  if (e.model !== undefined && typeof e.model !== 'string') fail('"model" must be a path');
  if (!Number.isInteger(e.layer) || e.layer < 0) fail('"layer" must be a non-negative integer');
  if (typeof e.component !== 'string' || e.component === '') fail('"component" must be a component name such as "h"');
  if (!Array.isArray(e.features) || !e.features.every((f) => typeof f === 'string')) fail('"features" must be a list of strings');
  for (const f of e.features) {
    try {
      parseFeature(f);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  if (typeof e.statistic !== 'string' || !isRelevanceStatistic(e.statistic))
    fail(`"statistic" must be one of ${Object.keys(RELEVANCE_STATISTICS).join(', ')}`);
  if (!Number.isInteger(e.topK) || e.topK < 1) fail('"topK" must be a positive integer');
  if (!Array.isArray(e.neurons) || !e.neurons.every((n) => Number.isInteger(n) && n >= 0)) {
    fail('"neurons" must be a list of neuron indices');
  }
  const band = e.band as unknown;
  if (!Array.isArray(band) || band.length !== 2 || !band.every((x) => typeof x === 'number' && x >= 0 && x <= 0.5) || band[0] > band[1]) {
    fail('"band" must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 0.5 (cycles per token)');
  }
  if (e.window !== 'none' && e.window !== 'hann') fail('"window" must be "none" or "hann"');
  if (e.spectrumScale !== 'power' && e.spectrumScale !== 'amplitude') fail('"spectrumScale" must be "power" or "amplitude"');
  return e;
}

/** An experiment is a few lists of choices; a file this large is not one. */
const MAX_EXPERIMENT_BYTES = 4 * 1024 * 1024;

export function readExperiment(file: string): Experiment {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_EXPERIMENT_BYTES) {
      throw new NeuronLensError(`The experiment file ${file} is larger than ${MAX_EXPERIMENT_BYTES / 1048576} MB`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isNeuronLensError(e)) throw e;
    throw new NeuronLensError(`Cannot read the experiment file ${file}`, 'not-found');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NeuronLensError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseExperiment(json, file);
}

export async function writeExperiment(file: string, e: Experiment): Promise<void> {
  const valid = parseExperiment(e);
  await writeFileAtomic(file, JSON.stringify(valid, null, 2) + '\n');
}

/** An experiment file as a front end finds it: its experiment, or the defaults when it is missing or (`problem` says why) unusable. */
export interface ExperimentFileState {
  experiment: Experiment;
  exists: boolean;
  problem?: string;
}

export function loadExperimentFile(file: string): ExperimentFileState {
  if (!fs.existsSync(file)) return { experiment: structuredClone(DEFAULT_EXPERIMENT), exists: false };
  try {
    return { experiment: readExperiment(file), exists: true };
  } catch (e) {
    if (!isNeuronLensError(e)) throw e;
    return { experiment: structuredClone(DEFAULT_EXPERIMENT), exists: true, problem: e.message };
  }
}

/**
 * Changes some fields of an experiment file (undefined ones are left as they are) and writes it
 * atomically, creating it and its folder with the defaults if it is missing. A file that does not
 * parse or validate is not touched and the error says why: a panel never overwrites what a user
 * is in the middle of editing by hand.
 */
export async function updateExperimentFile(file: string, changes: Partial<Experiment>): Promise<Experiment> {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw new NeuronLensError('changes must be an object');
  const base = fs.existsSync(file) ? readExperiment(file) : DEFAULT_EXPERIMENT;
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const next = parseExperiment({ ...base, ...defined }, file);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeExperiment(file, next);
  return next;
}

/** Neuron lists as users type them: `3`, `0:8` (end exclusive), `1,4,10:12`. */
export function parseNeuronList(spec: string, units?: number): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?::(\d+))?$/.exec(part);
    if (!m) throw new NeuronLensError(`"${part}" is not a neuron or a range like 0:8`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo + 1 : Number(m[2]);
    if (hi <= lo) throw new NeuronLensError(`The range ${part} is empty`);
    for (let n = lo; n < hi; n++) {
      if (units !== undefined && n >= units) throw new NeuronLensError(`Neuron ${n} does not exist (0–${units - 1})`);
      out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}
