/**
 * Steps/s of text activation maximisation (softmax relaxation, char LSTM hidden 256, vocabulary
 * 90, length 20, 8 starts batched) against PyTorch doing the same relaxation
 * (bench/pytorch_maximize.py) at its best of 1 and 2 threads. Used by `npm run bench` and by
 * scripts/benchMaximize.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeArchitecture } from '../src/engine/architecture';
import { LanguageModel } from '../src/engine/languageModel';
import { maximizeActivation } from '../src/engine/optimization/activationMaximization';
import { resolveTarget } from '../src/engine/optimization/targets';
import { Vocabulary } from '../src/engine/vocabulary';

const PYTHON = '/usr/bin/python3';
export const MAXIMIZE_SPEED = { vocab: 90, hidden: 256, length: 20, starts: 8, warmup: 5, neuron: 0 };

export interface MaximizePeer {
  best: number;
  bestThreads: number;
  stepsPerSecond: Record<string, number>;
  torch: string;
}

export async function measureMaximizeSpeed(options: { steps: number; autodiff?: boolean; pytorch: boolean }) {
  const S = { ...MAXIMIZE_SPEED, steps: options.steps };
  const vocabulary = Vocabulary.build(Array.from({ length: S.vocab - 1 }, (_, i) => String.fromCharCode(33 + i)));
  const model = LanguageModel.initialize(makeArchitecture({ cell: 'lstm', level: 'char', vocabSize: S.vocab, hiddenSize: S.hidden }), 1);
  const target = resolveTarget(model, { kind: 'neuron', layer: 0, component: 'h', neuron: S.neuron, position: 'last' });
  // The relaxation's steps alone: no intermediate decoding, no polish pass (PyTorch does neither).
  const run = { length: S.length, starts: S.starts, decodeEvery: 0, polish: 0, autodiff: options.autodiff };
  await maximizeActivation(model, vocabulary, target, { ...run, steps: S.warmup });
  const timed = await maximizeActivation(model, vocabulary, target, { ...run, steps: S.steps });
  model.dispose();
  let peer: MaximizePeer | undefined;
  if (options.pytorch && fs.existsSync(PYTHON)) {
    const r = spawnSync(PYTHON, [path.join(__dirname, '..', 'bench', 'pytorch_maximize.py')], {
      input: JSON.stringify({ ...S, threads: [1, 2] }),
      encoding: 'utf8',
    });
    if (r.status === 0) peer = JSON.parse(r.stdout) as MaximizePeer;
    else console.error(`PyTorch maximisation peer failed: ${r.stderr}`);
  }
  return { ours: timed.stepsPerSecond, peer, ratio: peer ? timed.stepsPerSecond / peer.best : undefined };
}
