import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone registers no gradients; training needs them on every backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { NeuronLensError } from './errors';

/** `tensorflow` is tfjs-node (native libtensorflow), present only where its install succeeded. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

// Resolve packages relative to this file at run time, so bundles (dist/*.js) find node_modules
// when they are run from the repository and fall back to files copied next to them otherwise.
const runtimeRequire = createRequire(__filename);

/** The folder holding the wasm binaries: next to the bundle (VSIX) or inside node_modules. */
export function wasmDirectory(): string {
  const beside = path.join(__dirname, 'wasm');
  if (fs.existsSync(path.join(beside, WASM_FILES[0]!))) return beside;
  try {
    const pkg = runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    return path.join(path.dirname(pkg), 'dist');
  } catch {
    throw new NeuronLensError('The wasm backend files were not found (reinstall with npm ci)', 'backend');
  }
}

function tryLoadTfjsNode(): boolean {
  try {
    runtimeRequire('@tensorflow/tfjs-node');
    return tf.findBackendFactory('tensorflow') !== null;
  } catch {
    return false;
  }
}

let wasmPathsSet = false;

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow' && !tryLoadTfjsNode()) return false;
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDirectory() + path.sep);
    wasmPathsSet = true;
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Selects the compute backend. `auto` prefers tfjs-node, then wasm, then the pure-JS cpu backend;
 * a named backend is forced and failing to start it is an error, not a silent fallback.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new NeuronLensError(`Unknown backend "${String(choice)}" (choose one of ${BACKEND_CHOICES.join(', ')})`);
  }
  const current = tf.getBackend() as BackendName | undefined;
  if (choice !== 'auto' && current === choice) return choice;
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  for (const name of order) {
    if (await activate(name)) {
      // Silence tfjs's "hi there" banners and kernel warnings in CLI output.
      tf.env().set('PROD', true);
      return name;
    }
  }
  throw new NeuronLensError(
    choice === 'tensorflow'
      ? 'The tensorflow backend is not available: @tensorflow/tfjs-node is not installed or its native library could not be downloaded'
      : `The ${choice} backend could not be started`,
    'backend',
  );
}

export function activeBackend(): string {
  return tf.getBackend();
}
