/**
 * Soak benchmark (issue 7; not part of CI): drives the engine session as the editor does —
 * analyse a large text, edit it at random places, analyse again (visible part first, then the
 * rest), switch neurons and components — for N minutes, and prints RSS, heap and tfjs tensor
 * counts at the start and the end. Memory and tensors must stay flat.
 *
 *   npm run soak -- [--minutes 2] [--chars 60000] [--model DIR] [--seed 1]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend';
import { mobyDick } from '../src/engine/corpus';
import { EngineSession } from '../src/engine/engineSession';
import { saveModel } from '../src/engine/modelFolder';
import { tempDir, tinyModel } from '../test/unit/helpers';

function flag(name: string, fallback: number): number;
function flag(name: string, fallback: string): string;
function flag(name: string, fallback: number | string): number | string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1] ?? '';
  return typeof fallback === 'number' ? Number(v) : v;
}

function snapshot(label: string, operations: number) {
  const m = process.memoryUsage();
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const line = {
    label,
    operations,
    rss: mb(m.rss),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    numTensors: tf.memory().numTensors,
    tfBytes: mb(tf.memory().numBytes),
  };
  console.log(JSON.stringify(line));
  return { rss: m.rss, heap: m.heapUsed, tensors: tf.memory().numTensors };
}

async function main(): Promise<void> {
  const minutes = flag('minutes', 2);
  const chars = flag('chars', 60_000);
  let seed = flag('seed', 1);
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  await initBackend('wasm');
  let modelDir = flag('model', '');
  if (!modelDir) {
    modelDir = tempDir('neuron-lens-soak-');
    const m = tinyModel('lstm', 'char', 1, 128);
    await saveModel(modelDir, m);
    m.model.dispose();
  }
  const session = new EngineSession();
  const summary = await session.loadModel({ dir: modelDir });
  let text = mobyDick().text.slice(0, chars);
  const docId = 'file:///soak.txt';
  const components = summary.components.map((c) => c.id);
  let version = 1;
  let operations = 0;
  const analyze = async (untilOffset?: number) => {
    const component = components[Math.floor(random() * components.length)]!;
    await session.analyze({ docId, version, text, layer: 0, component, maxTokens: 200_000, untilOffset });
    operations++;
  };
  await analyze();
  // Let the first analysis's allocations settle before the baseline.
  (globalThis as { gc?: () => void }).gc?.();
  const start = snapshot('start', operations);
  const end = Date.now() + minutes * 60_000;
  let nextReport = Date.now() + 30_000;
  while (Date.now() < end) {
    // An edit somewhere: insert, delete or replace a few characters, as typing does.
    const at = Math.floor(random() * text.length);
    const r = random();
    text =
      r < 0.4
        ? text.slice(0, at) + 'x' + text.slice(at)
        : r < 0.8
          ? text.slice(0, at) + text.slice(at + 1)
          : text.slice(0, at) + '\n' + text.slice(at + 3);
    version++;
    await analyze(Math.min(text.length, at + 2000));
    await analyze();
    if (operations % 10 === 0) await session.neuronValues({ docId, neuron: Math.floor(random() * summary.layers[0]!) });
    if (Date.now() > nextReport) {
      snapshot('running', operations);
      nextReport += 30_000;
    }
  }
  (globalThis as { gc?: () => void }).gc?.();
  const last = snapshot('end', operations);
  console.log(
    `soak: ${operations} analyses in ${minutes} min; RSS ${((last.rss - start.rss) / 1048576).toFixed(1)} MB, heap ${((last.heap - start.heap) / 1048576).toFixed(1)} MB, tensors ${last.tensors - start.tensors} from start to end`,
  );
  await session.closeDocument({ docId });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
