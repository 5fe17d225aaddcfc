// Trains the default model shipped with the extension (media/default-model/): a character LSTM on
// Moby-Dick, with the project's own training code and a fixed seed, so the run is reproducible.
//
//   npm run train:default-model                 # → media/default-model/{model.json, weights-*.bin}
//   npm run train:default-model -- --steps 100  # shorter, for a quick check
//
// Training checkpoints (with Adam's state) go to a temporary folder; the shipped copy is saved
// without optimizer state, so it holds only the model's weights and its training summary.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { describeArchitecture } from '../src/engine/architecture';
import { initBackend } from '../src/engine/backend';
import { saveModel } from '../src/engine/modelFolder';
import { runTraining } from '../src/engine/trainingRun';

const DEFAULTS = { steps: 800, hidden: 128, layers: 1, seed: 1 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
    },
  });
  const root = path.resolve(__dirname, '..');
  const out = path.resolve(values.out ?? path.join(root, 'media', 'default-model'));
  const steps = values.steps ? Number(values.steps) : DEFAULTS.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, not ${values.steps}`);
  // wasm by default: the backend every user has, and the one the published figures were measured on.
  const backend = await initBackend((values.backend ?? 'wasm') as Parameters<typeof initBackend>[0]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'neuron-lens-default-model-'));
  const t0 = Date.now();
  console.error(
    `Training a character LSTM (${DEFAULTS.hidden} units) on Moby-Dick for ${steps} steps, seed ${DEFAULTS.seed}, ${backend} backend…`,
  );
  try {
    const run = await runTraining({
      corpus: 'moby-dick',
      cell: 'lstm',
      level: 'char',
      hiddenSize: DEFAULTS.hidden,
      numLayers: DEFAULTS.layers,
      seed: DEFAULTS.seed,
      steps,
      evalEvery: 50,
      checkpointEvery: 100,
      out: work,
      backend,
      onProgress: (p) => {
        if (p.validationBits !== undefined && p.step % 50 === 0) {
          console.error(
            `  step ${p.step}/${p.totalSteps}: validation ${p.validationBits.toFixed(3)} bits/char, ` +
              `${Math.round(p.tokensPerSecond)} chars/s, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
          );
        }
      },
    });
    const seconds = (Date.now() - t0) / 1000;
    const { model, tokenizer, training } = run.loaded;
    fs.rmSync(out, { recursive: true, force: true });
    await saveModel(out, { model, tokenizer, training }); // no optimizerWeights: not a checkpoint
    const bytes = fs.readdirSync(out).reduce((sum, f) => sum + fs.statSync(path.join(out, f)).size, 0);
    console.log(`${describeArchitecture(model.architecture)}, ${model.parameterCount().toLocaleString('en')} parameters`);
    console.log(
      `validation ${training?.validationBits?.toFixed(3)} bits/char vs unigram entropy ${run.unigramEntropyBits.toFixed(3)} bits/char`,
    );
    console.log(`trained in ${seconds.toFixed(0)} s; saved ${(bytes / 1024).toFixed(0)} KB to ${path.relative(process.cwd(), out) || out}`);
    model.dispose();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
