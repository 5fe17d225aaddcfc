// End-to-end test of the packaged extension, as a user gets it: `npm run package` builds the .vsix,
// code-server installs it (`--install-extension`, into a fresh extensions folder, offline), and the
// editor starts with that folder: no extension development path, no workspace settings, no model
// configured. The test opens a text file, runs "Highlight Active File by Neuron…", picks a neuron and
// checks that coloured decorations appear within 5 seconds of the command: the bundled default
// model, no training. It also checks the first-run notification and the Getting Started
// walkthrough, and takes screenshots (test/e2e/artifacts/vsix-*.png).
//
//   node test/e2e/vsix.mjs                 # after `bash ../shared/tools/vscode-e2e/setup.sh`
//   node test/e2e/vsix.mjs --screenshots   # also copies the screenshots to docs/images/ (npm run screenshots)
//   NEURON_LENS_VSIX=path.vsix node test/e2e/vsix.mjs   # test that package instead of building one
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findFiles, waitFor as poll } from './polling.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const artifacts = path.join(here, 'artifacts');
const toolsDir = path.resolve(root, '..', 'shared', 'tools', 'vscode-e2e');
const HIGHLIGHT_BUDGET_MS = 5_000;
const BUDGET_MS = Number(process.env.NEURON_LENS_VSIX_BUDGET_MS) || 150_000;
/** The neuron shown (and screenshotted): see "Neurons worth looking at" in README. */
const COMPONENT = { label: /\(h\)/, filter: 'hidden' };
const NEURON = 14;
const copyScreenshots = process.argv.includes('--screenshots');

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (msg) => console.log(`[vsix ${secs()}s] ${msg}`);
function fail(msg) {
  console.error(`\n[vsix] FAILED: ${msg}\n`);
  process.exit(1);
}

if (!fs.existsSync(path.join(toolsDir, 'harness.mjs'))) fail(`the shared editor harness is missing (${toolsDir})`);
const harness = await import(pathToFileURL(path.join(toolsDir, 'harness.mjs')).href);
const installDir = path.join(harness.E2E_HOME, `code-server-${harness.CODE_SERVER_VERSION}`);
const realEntry = process.env.VSCODE_E2E_CODE_SERVER || path.join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
if (!fs.existsSync(realEntry)) fail(`code-server is not installed (${realEntry}); run bash ../shared/tools/vscode-e2e/setup.sh`);
const nodePathFile = path.join(installDir, 'node-path');
const codeServerNode =
  process.env.VSCODE_E2E_NODE || (fs.existsSync(nodePathFile) ? fs.readFileSync(nodePathFile, 'utf8').trim() : process.execPath);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neuron-lens-vsix-'));
const keep = !!process.env.VSCODE_E2E_KEEP;
const cleanup = () => {
  if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
};
const watchdog = setTimeout(() => {
  console.error(`\n[vsix] FAILED: still running after ${BUDGET_MS / 1000} s; giving up`);
  cleanup();
  process.exit(1); // the harness's exit hook kills code-server
}, BUDGET_MS);
watchdog.unref();

// ------------------------------------------------------------------ package and install
let vsix = process.env.NEURON_LENS_VSIX;
if (!vsix) {
  vsix = path.join(tmp, 'neuron-lens.vsix');
  log('packaging (npm run package)');
  execFileSync('npm', ['run', '--silent', 'package', '--', '--out', vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
const vsixBytes = fs.statSync(vsix).size;
log(`package: ${(vsixBytes / 1048576).toFixed(2)} MB`);

const extensionsDir = path.join(tmp, 'extensions');
const cliEnv = {
  ...process.env,
  NODE_OPTIONS: '',
  XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
  XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
};
const installOut = execFileSync(
  codeServerNode,
  [realEntry, '--user-data-dir', path.join(tmp, 'cli-user-data'), '--extensions-dir', extensionsDir, '--install-extension', vsix],
  { env: cliEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
);
const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('neuron-lens.neuron-lens-'));
assert.equal(installed.length, 1, `code-server did not install the extension: ${installOut}`);
const installedDir = path.join(extensionsDir, installed[0]);
for (const f of [
  'dist/extension.js',
  'dist/worker.js',
  'dist/mnist-test.bin.gz',
  'media/default-model/model.json',
  'media/icon.png',
  'media/sample.txt',
]) {
  assert.ok(fs.existsSync(path.join(installedDir, f)), `the installed extension has no ${f}`);
}
assert.ok(!fs.existsSync(path.join(installedDir, 'node_modules')), 'the package ships node_modules');
// The extension's details page renders the packaged README: its screenshots must be in the package.
for (const [, image] of fs.readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
  assert.ok(fs.existsSync(path.join(installedDir, image)), `the README shows ${image}, which the package lacks`);
}
log(`installed ${installed[0]}`);

// ------------------------------------------------------------------ workspace: a text file, no settings
const workspace = path.join(tmp, 'workspace');
fs.mkdirSync(workspace);
const FILE = 'chapter.txt';
fs.copyFileSync(path.join(root, 'media', 'sample.txt'), path.join(workspace, FILE));

const shots = [];
async function shot(vsc, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `vsix-${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await vsc.screenshot(file);
  shots.push(file);
  return file;
}

function waitFor(what, fn, options = {}) {
  return poll(what, fn, { interval: 100, ...options });
}

log('starting code-server with the installed extension');
process.env.VSCODE_E2E_CODE_SERVER = path.join(here, 'codeServerEntry.mjs');
process.env.VSCODE_E2E_NODE = codeServerNode;
process.env.NEURON_LENS_E2E_REAL_ENTRY = realEntry;
process.env.NEURON_LENS_E2E_EXTENSIONS_DIR = extensionsDir;
const vsc = await harness
  .start({
    workspace,
    timeout: 90_000,
    keepTmp: keep,
    viewport: { width: 1280, height: 760 },
    userSettings: {
      'editor.minimap.enabled': false,
      'editor.wordWrap': 'on',
      'editor.occurrencesHighlight': 'off',
      'editor.selectionHighlight': false,
      'workbench.colorTheme': 'Default Dark Modern',
    },
  })
  .catch((e) => {
    cleanup();
    fail(`the editor did not start: ${e.stack || e}`);
  });
const page = vsc.page;
log(`workbench ready (${vsc.timings.workbenchMs} ms)`);

let failed = false;
const timings = {};
try {
  // ---- First run: the extension activates on startup and offers the walkthrough once.
  const offer = page.locator('.notifications-toasts .notification-toast', { hasText: /Neuron Lens is ready/ }).first();
  await offer.waitFor({ state: 'visible', timeout: 30_000 });
  log('first-run notification shown');
  await offer.locator('.monaco-button', { hasText: 'Not Now' }).click();
  await offer.waitFor({ state: 'hidden', timeout: 5_000 });

  await vsc.openFile(FILE);
  log(`opened ${FILE}`);

  // ---- Highlight with no model configured: the bundled one, within 5 s of the command.
  const tCommand = Date.now();
  await vsc.runCommand('Neuron Lens: Highlight Active File by Neuron…');
  const input = page.locator('.quick-input-widget input.input');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await waitFor(
    'the component pick',
    async () => (await rows.first().isVisible()) && (await rows.allInnerTexts()).some((t) => COMPONENT.label.test(t)),
    {
      timeout: HIGHLIGHT_BUDGET_MS,
    },
  );
  timings.componentPickMs = Date.now() - tCommand;
  log(`component pick shown ${timings.componentPickMs} ms after the command`);
  await input.fill(COMPONENT.filter);
  await page.waitForTimeout(100);
  await input.press('Enter');
  await waitFor('the neuron pick', async () => (await rows.allInnerTexts()).some((t) => /^\s*Neuron \d+/.test(t)), {
    timeout: HIGHLIGHT_BUDGET_MS,
  });
  timings.neuronPickMs = Date.now() - tCommand;
  log(`neuron pick shown ${timings.neuronPickMs} ms after the command`);
  const want = `Neuron ${NEURON}`;
  await input.fill(want);
  await waitFor(
    `"${want}" focused`,
    async () => (await page.locator('.quick-input-list .monaco-list-row.focused .label-name').first().innerText()).trim() === want,
  );
  await input.press('Enter');
  const decos = await waitFor(
    'coloured decorations',
    async () => {
      const d = (await vsc.getEditorDecorations()).filter((x) => x.fromExtension && x.backgroundColor);
      return d.length > 0 ? d : undefined;
    },
    { timeout: Math.max(1, HIGHLIGHT_BUDGET_MS - (Date.now() - tCommand)) },
  );
  timings.highlightMs = Date.now() - tCommand;
  const colours = new Set(decos.map((d) => d.backgroundColor));
  log(`highlighted ${timings.highlightMs} ms after the command: ${decos.length} coloured decorations, ${colours.size} colours`);
  assert.ok(timings.highlightMs <= HIGHLIGHT_BUDGET_MS, `colours after ${timings.highlightMs} ms, more than ${HIGHLIGHT_BUDGET_MS} ms`);
  assert.ok(colours.size >= 2, `expected several colours, got ${[...colours].join(', ')}`);
  const status = await waitFor('the status bar to name the bundled model', async () => {
    const s = await vsc.statusBarText();
    return /Default model \(bundled\)/.test(s) && new RegExp(`#${NEURON}\\b`).test(s) ? s : undefined;
  });
  log(`status bar: ${status.replace(/\s+/g, ' ').match(/Default model[^\n]*?#\d+[^ ]*( · \w+)?/)?.[0]}`);
  await page.mouse.move(5, 5);
  await shot(vsc, 'highlighted');

  // ---- The walkthrough: its page opens with the steps.
  await vsc.runCommand('Neuron Lens: Getting Started');
  const walkthrough = page.locator('.gettingStartedContainer', { hasText: 'Get Started with Neuron Lens' }).first();
  await walkthrough.waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('.getting-started-step', { hasText: 'Colour it by a neuron' }).first().waitFor({ state: 'visible' });
  log('walkthrough shown');
  await shot(vsc, 'walkthrough');
} catch (e) {
  failed = true;
  console.error(`\n[vsix] FAILED: ${e.stack || e}`);
  try {
    await shot(vsc, 'failure');
    fs.copyFileSync(vsc.logFile, path.join(artifacts, 'vsix-code-server.log'));
    const channel = findFiles(path.join(vsc.tmpDir, 'user-data', 'logs'), /^(\d+-)?Neuron Lens\.log$/)
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    fs.writeFileSync(path.join(artifacts, 'vsix-neuron-lens-output.log'), channel);
    console.error(`[vsix] the extension's output channel:\n${channel.split('\n').slice(-25).join('\n')}`);
  } catch {
    /* best effort */
  }
} finally {
  await vsc.stop();
  cleanup();
}
if (failed) process.exit(1);
if (copyScreenshots) {
  const images = path.join(root, 'docs', 'images');
  fs.mkdirSync(images, { recursive: true });
  for (const f of shots) fs.copyFileSync(f, path.join(images, path.basename(f).replace(/^vsix-\d+-/, '')));
  log(`copied ${shots.length} screenshots to docs/images/`);
}
log(
  `passed: package ${(vsixBytes / 1048576).toFixed(2)} MB, component pick ${timings.componentPickMs} ms, colours ${timings.highlightMs} ms after the command, ${secs()} s in all`,
);
