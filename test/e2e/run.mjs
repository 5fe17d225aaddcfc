// End-to-end test of the extension in a real editor: code-server (VS Code for the web) driven by
// Playwright and headless Chromium, through the shared harness in ../shared/tools/vscode-e2e
// (relative to the repository root). Run by `npm test` after the build; on its own:
//
//   bash ../shared/tools/vscode-e2e/setup.sh    # once per machine (code-server, playwright-core, chromium)
//   npm run build && npm run test:e2e           # VSCODE_E2E_VERBOSE=1: echo code-server's output
//                                               # VSCODE_E2E_KEEP=1: keep the temp folders
//
// It trains a tiny char LSTM with the CLI, opens a workspace whose settings point at that model,
// and drives the extension the way a user does: command palette, quick picks, status bar,
// hovers, typing. The colours in the editor are checked glyph by glyph against the values the
// CLI computes for the same model and text, so a token drawn one character off (CRLF, tabs,
// surrogate pairs) is caught. Then it opens the heatmap and Fourier panels and checks, from inside
// their webview frames, that their canvases are drawn and that the token axis, the relevance
// hypotheses and the band ranking are the CLI's; that a feature added in the heatmap reaches the
// experiment file; and that both panels follow an edit. Screenshots (and, on failure, the logs) go
// to test/e2e/artifacts/.
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
const SAMPLE = 'sample.txt';
const TAB_SIZE = 4;
const BUDGET_MS = Number(process.env.NEURON_LENS_E2E_BUDGET_MS) || 300_000;

const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (msg) => console.log(`[e2e ${secs()}s] ${msg}`);

function fail(msg) {
  console.error(`\n[e2e] FAILED: ${msg}\n`);
  process.exit(1);
}

// ------------------------------------------------------------------ prerequisites
if (!fs.existsSync(path.join(toolsDir, 'harness.mjs'))) {
  fail(
    `the end-to-end test needs the shared editor harness at ${toolsDir} ` +
      `(../shared/tools/vscode-e2e relative to the repository root), and it is missing.`,
  );
}
const harness = await import(pathToFileURL(path.join(toolsDir, 'harness.mjs')).href);
const codeServerEntry =
  process.env.VSCODE_E2E_CODE_SERVER ||
  path.join(harness.E2E_HOME, `code-server-${harness.CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const playwrightPkg = path.join(harness.E2E_HOME, 'playwright', 'node_modules', 'playwright-core', 'package.json');
const chromium = process.env.VSCODE_E2E_CHROMIUM || '/usr/bin/chromium';
for (const [what, file] of [
  ['code-server', codeServerEntry],
  ['playwright-core', playwrightPkg],
  ['chromium', chromium],
]) {
  if (!fs.existsSync(file)) {
    fail(`${what} is not installed (${file} not found). Run once on this machine:\n\n    bash ../shared/tools/vscode-e2e/setup.sh\n`);
  }
}
for (const f of ['dist/extension.js', 'dist/worker.js', 'dist/cli.js']) {
  if (!fs.existsSync(path.join(root, f))) fail(`${f} is missing: run "npm run build" first (npm test does).`);
}

// Command palette titles ("Category: Title") from the manifest.
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const commands = manifest.contributes?.commands ?? [];
function paletteTitle(match) {
  const c = commands.find((x) => (typeof match === 'string' ? x.command === match : match.test(x.title)));
  if (!c) fail(`package.json contributes no command ${match} (titles: ${commands.map((x) => x.title).join(', ')})`);
  return c.category ? `${c.category}: ${c.title}` : c.title;
}
const TITLES = {
  info: paletteTitle('neuronLens.showModelInfo'),
  highlight: paletteTitle(/^Highlight Active File by Neuron/),
  next: paletteTitle(/^Next Neuron/),
  heatmap: paletteTitle('neuronLens.showHeatmap'),
  spectra: paletteTitle('neuronLens.showSpectra'),
  saliency: paletteTitle('neuronLens.showSaliency'),
  intervene: paletteTitle('neuronLens.interveneNeurons'),
  contexts: paletteTitle('neuronLens.showTopContexts'),
  maximize: paletteTitle('neuronLens.maximizeNeuron'),
  compare: paletteTitle('neuronLens.compareNeurons'),
  history: paletteTitle('neuronLens.showNeuronHistory'),
  invert: paletteTitle('neuronLens.invertHiddenState'),
  compareAcross: paletteTitle('neuronLens.compareAcrossModels'),
};

// ------------------------------------------------------------------ workspace and model
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neuron-lens-e2e-'));
const workspace = path.join(tmp, 'workspace');
const modelDir = path.join(tmp, 'model');
fs.cpSync(path.join(here, 'fixture'), workspace, { recursive: true });
const sampleText = fs.readFileSync(path.join(workspace, SAMPLE), 'utf8');
// The fixture must keep its CRLF line ends (a checkout with core.autocrlf=input would drop the CRs).
assert.ok(/\r\n/.test(sampleText) && !/[^\r]\n/.test(sampleText), `${SAMPLE} must use CRLF line ends only`);
assert.ok(sampleText.includes('\t') && /\p{Extended_Pictographic}/u.test(sampleText), `${SAMPLE} must contain tabs and emoji`);

function cli(...args) {
  try {
    return execFileSync(process.execPath, [path.join(root, 'bin', 'neuron-lens.js'), ...args, '--backend', 'wasm'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    throw new Error(`neuron-lens ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

log('training a tiny model with the CLI');
// Moby-Dick (bundled): the fixture alone is too short for one batch of windows.
// Snapshots at steps 0, 10, 20 and 30 for the across-training panel.
cli(
  'train',
  '--arch',
  'lstm',
  '--level',
  'char',
  '--hidden',
  '32',
  '--steps',
  '30',
  '--snapshot-every',
  '10',
  '--corpus',
  'moby-dick',
  '--out',
  modelDir,
);
assert.ok(fs.existsSync(path.join(modelDir, 'model.json')), 'the CLI wrote no model.json');
// A second model of the same shape and level (another seed, fewer steps), to compare a neuron across models.
const otherModelDir = path.join(tmp, 'other-model');
cli(
  'train',
  '--arch',
  'lstm',
  '--level',
  'char',
  '--hidden',
  '32',
  '--steps',
  '20',
  '--seed',
  '2',
  '--snapshot-every',
  '0',
  '--corpus',
  'moby-dick',
  '--out',
  otherModelDir,
);
fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'neuronLens.modelPath': modelDir }, null, 2) + '\n');

/** The JSON output of a CLI analysis (`relevance`, `fourier`) of a text. */
function cliAnalysis(command, text, ...args) {
  const file = path.join(tmp, `${command}-input.txt`);
  fs.writeFileSync(file, text);
  return JSON.parse(cli(command, '--model', modelDir, '--file', file, ...args, '--json'));
}

/** The CLI's values of one layer/component for a text: Map token start offset -> values per neuron. */
const activationCache = new Map();
function activations(text, layer, component) {
  const key = `${layer}/${component}/${text}`;
  if (!activationCache.has(key)) {
    const file = path.join(tmp, 'activations-input.txt');
    fs.writeFileSync(file, text);
    const j = JSON.parse(
      cli('activations', '--model', modelDir, '--file', file, '--layer', String(layer), '--component', component, '--json'),
    );
    const byStart = new Map(j.tokens.map((t, i) => [t.start, { text: t.text, values: j.values[i] }]));
    activationCache.set(key, { neurons: j.neurons, byStart });
  }
  return activationCache.get(key);
}

// The neuron to show: the one that varies most over the sample (a barely-moving neuron would
// leave most tokens uncoloured and prove little).
const base = activations(sampleText, 0, 'h');
let NEURON = 0;
{
  let best = -1;
  for (let n = 0; n < base.neurons; n++) {
    const v = [...base.byStart.values()].map((t) => t.values[n]);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    if (variance > best) [best, NEURON] = [variance, n];
  }
}
log(`model trained (${modelDir}); will pick neuron ${NEURON} of ${base.neurons}`);

// ------------------------------------------------------------------ helpers
const shots = [];
let shotNo = 0;
async function shot(vsc, name) {
  const file = path.join(artifacts, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  await vsc.screenshot(file);
  shots.push(file);
  return file;
}

/** The "Neuron Lens" output channel, read from the log file the extension host writes it to. */
function outputChannelText(vsc) {
  return findFiles(path.join(vsc.tmpDir, 'user-data', 'logs'), /^(\d+-)?Neuron Lens\.log$/)
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
}

/** Thrown from a waitFor() condition to stop waiting at once. */
class Fatal extends Error {}

/** The output channel's error lines. */
function errorLines(vsc) {
  return outputChannelText(vsc)
    .split('\n')
    .filter((l) => /\[error\]/.test(l));
}

/** Polls until `fn` gives something truthy; a Fatal error (the extension reported one) stops at once. */
function waitFor(what, fn, options = {}) {
  return poll(what, fn, { rethrow: (e) => e instanceof Fatal, ...options });
}

const rgba = (css) => {
  const m = css.match(/rgba?\(([^)]*)\)/);
  if (!m) return undefined;
  const [r, g, b, a = 1] = m[1].split(',').map(Number);
  return { r, g, b, a };
};

/** The active editor's rendered lines: line number, DOM text, and the x extent of every UTF-16 unit. */
function renderedLines(page) {
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-group-container.active .editor-instance .monaco-editor');
    if (!editor) return [];
    const gutter = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].map((el) => {
      const r = el.getBoundingClientRect();
      return { n: Number(el.textContent.trim()) || 0, top: r.top, bottom: r.bottom };
    });
    const range = document.createRange();
    const out = [];
    for (const lineEl of editor.querySelectorAll('.view-lines .view-line')) {
      const lr = lineEl.getBoundingClientRect();
      const mid = lr.top + lr.height / 2;
      const units = [];
      let text = '';
      const walker = document.createTreeWalker(lineEl, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length;) {
          const len = node.data.codePointAt(i) > 0xffff ? 2 : 1;
          range.setStart(node, i);
          range.setEnd(node, i + len);
          const r = range.getBoundingClientRect();
          for (let k = 0; k < len; k++) units.push({ left: r.left, right: r.right });
          i += len;
        }
        text += node.data;
      }
      // Inline decorations (spans with generated ced- classes); `after` ones paint a ::after
      // pseudo-element, whose colour getEditorDecorations() does not report.
      const opaque = (c) => (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c) ? c : '');
      const inline = [...lineEl.querySelectorAll('span[class*="ced-"]')]
        .map((el) => opaque(getComputedStyle(el).backgroundColor) || opaque(getComputedStyle(el, '::after').backgroundColor))
        .filter((c) => c);
      const line = gutter.find((g) => mid >= g.top && mid < g.bottom)?.n ?? 0;
      out.push({ line, top: lr.top, bottom: lr.bottom, text, units, inline });
    }
    return out;
  });
}

/**
 * Every code point of `text` (the document's content) that is on screen, with the extension's
 * background colour drawn behind its centre ('' if none) and the CLI's value for its token.
 */
async function glyphColours(vsc, text, layer, component, neuron) {
  const expected = activations(text, layer, component);
  const overlays = (await vsc.getEditorDecorations()).filter((d) => d.fromExtension && d.backgroundColor && d.kind === 'overlay');
  const lines = text.split('\r\n');
  const lineStart = [];
  for (let i = 0, off = 0; i < lines.length; off += lines[i].length + 2, i++) lineStart.push(off);
  const glyphs = [];
  for (const rl of await renderedLines(vsc.page)) {
    const doc = lines[rl.line - 1];
    if (doc === undefined) continue;
    // Monaco draws a tab as no-break spaces up to the next tab stop; map document columns to DOM units.
    let dom = '';
    let col = 0;
    const cells = [];
    for (let i = 0; i < doc.length;) {
      const len = doc.codePointAt(i) > 0xffff ? 2 : 1;
      const from = dom.length;
      if (doc[i] === '\t') {
        const n = TAB_SIZE - (col % TAB_SIZE);
        dom += ' '.repeat(n);
        col += n;
      } else {
        dom += doc.slice(i, i + len);
        col += 1;
      }
      cells.push({ i, len, from, to: dom.length });
      i += len;
    }
    const shown = rl.text.replace(/\u00a0/g, ' ');
    if (!shown.startsWith(dom)) {
      throw new Error(`line ${rl.line} renders as ${JSON.stringify(shown)}, expected ${JSON.stringify(dom)} (tab size ${TAB_SIZE}?)`);
    }
    const y = (rl.top + rl.bottom) / 2;
    for (const c of cells) {
      const x = (rl.units[c.from].left + rl.units[c.to - 1].right) / 2;
      const hit = overlays.filter((o) => x > o.rect.x && x < o.rect.x + o.rect.width && y > o.rect.y && y < o.rect.y + o.rect.height);
      const offset = lineStart[rl.line - 1] + c.i;
      const token = expected.byStart.get(offset);
      glyphs.push({
        line: rl.line,
        column: c.i + 1,
        offset,
        text: doc.slice(c.i, c.i + c.len),
        x,
        y,
        colour: hit.length ? hit[hit.length - 1].backgroundColor : '',
        layers: hit.length,
        value: token ? token.values[neuron] : undefined,
        tokenText: token?.text,
      });
    }
    // The line break: CR and LF are separate char tokens; the LF's colour is drawn as a block
    // after the end of the line (an injected span), the CR's is not drawn.
    if (rl.line < lines.length) {
      const offset = lineStart[rl.line - 1] + doc.length + 1;
      const token = expected.byStart.get(offset);
      glyphs.push({
        line: rl.line,
        column: doc.length + 2,
        offset,
        text: '\n',
        colour: rl.inline.length ? rl.inline[rl.inline.length - 1] : '',
        layers: rl.inline.length,
        value: token ? token.values[neuron] : undefined,
        tokenText: token?.text,
      });
    }
  }
  return glyphs;
}

/**
 * Checks the colours against the CLI's values, without assuming the palette's exact steps: strong
 * values are coloured with the hue of their sign (diverging palette: red positive, blue negative),
 * near-zero ones are not, and a clearly stronger value is never drawn fainter.
 */
function colourMismatches(glyphs) {
  const bad = [];
  const where = (g) => `${g.line}:${g.column} ${JSON.stringify(g.text)} value ${g.value?.toFixed(3)} colour ${g.colour || 'none'}`;
  for (const g of glyphs) {
    if (g.value === undefined) bad.push(`${where(g)}: no CLI token starts here (token boundary mismatch)`);
    else if (g.tokenText !== g.text) bad.push(`${where(g)}: CLI token is ${JSON.stringify(g.tokenText)}`);
    else if (g.layers > 1) bad.push(`${where(g)}: ${g.layers} overlapping backgrounds`);
    else if (Math.abs(g.value) >= 0.1) {
      const c = rgba(g.colour);
      if (!c) bad.push(`${where(g)}: strong value but no background`);
      else if (g.value > 0 !== c.r > c.b) bad.push(`${where(g)}: hue does not match the sign`);
    } else if (Math.abs(g.value) < 0.02 && g.colour) bad.push(`${where(g)}: near-zero value but coloured`);
  }
  const alpha = (g) => rgba(g.colour)?.a ?? 0;
  const strong = [...glyphs].filter((g) => g.value !== undefined).sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  for (let i = 0; i < strong.length && bad.length < 40; i++) {
    for (let j = strong.length - 1; j > i && Math.abs(strong[i].value) - Math.abs(strong[j].value) > 0.2; j--) {
      if (alpha(strong[i]) <= alpha(strong[j])) {
        bad.push(`${where(strong[i])} is not stronger than ${where(strong[j])}`);
        break;
      }
    }
  }
  return bad;
}

/** Waits until the editor's colours agree with the CLI for the given neuron; returns the glyphs. */
async function waitForColours(vsc, what, text, layer, component, neuron, timeout = 30_000) {
  let last = [];
  try {
    return await waitFor(
      what,
      async () => {
        const glyphs = await glyphColours(vsc, text, layer, component, neuron);
        last = colourMismatches(glyphs);
        return glyphs.length > 0 && last.length === 0 && glyphs;
      },
      { timeout, interval: 400 },
    );
  } catch (e) {
    e.message += `\nfirst mismatches (of ${last.length}):\n  ${last.slice(0, 12).join('\n  ')}`;
    throw e;
  }
}

/** The status bar's neuron, e.g. "L0 h #6" -> { layer: 0, component: 'h', neuron: 6 }. */
function statusNeuron(status) {
  const m = status.match(/L(\d+)\s+(\w+)\s+#(\d+)/);
  return m && { layer: Number(m[1]), component: m[2], neuron: Number(m[3]) };
}

const quickInput = (page) => page.locator('.quick-input-widget');

/** Hovers a glyph; the hover's text (whitespace collapsed) and the value it gives for `neuron` (or after `label`). */
async function hoverAt(vsc, glyph, neuron, label = `Neuron ${neuron}\\b`) {
  const page = vsc.page;
  await page.mouse.move(5, 5);
  await page.mouse.move(glyph.x, glyph.y);
  const hover = page.locator('.monaco-hover:visible').first();
  const found = await waitFor(
    `a hover on ${JSON.stringify(glyph.text)} (${glyph.line}:${glyph.column}) that gives the value of ${label}`,
    async () => {
      const text = (await hover.innerText({ timeout: 1000 }))
        .replace(/\s+/g, ' ')
        .replace(/\u2212/g, '-')
        .trim();
      const m = text.match(new RegExp(`${label}[^:]*:\\s*([-+]?\\d+\\.\\d+)`));
      if (!m || !text.includes(glyph.text)) throw new Error(`hover: ${JSON.stringify(text)}`);
      return { text, value: Number(m[1]) };
    },
    { timeout: 15_000 },
  );
  await page.waitForTimeout(300); // let it fade in for the screenshot
  return found;
}

/** The content frame of the Neuron Lens webview that contains `selector` (the panels open side by side, hidden ones included). */
async function panelFrame(vsc, selector, what) {
  return waitFor(`the ${what} panel`, async () => {
    const outer = vsc.page.locator('iframe.webview.ready');
    for (let i = (await outer.count()) - 1; i >= 0; i--) {
      const frame = await vsc.webviewFrame({ index: i }).catch(() => undefined);
      if (frame && (await frame.locator(selector).count()) > 0) return frame;
    }
    return undefined;
  });
}

/**
 * How much of a canvas in a webview is drawn: the share of its pixels that differ clearly from the
 * page's background (a canvas that drew nothing, or only its background, gives 0).
 */
function drawnShare(frame, selector) {
  return frame.locator(selector).evaluate((canvas) => {
    const bg = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 24) drawn++;
    }
    return drawn / (data.length / 4);
  });
}

/**
 * Runs a palette command that opens its own quick input at once: the harness's runCommand waits
 * for the palette to close, which such a command's input box (the same widget) never lets happen.
 */
async function startCommand(vsc, title) {
  const page = vsc.page;
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Neuron Lens' }).waitFor({ state: 'visible', timeout: 30_000 });
}

/**
 * Answers VS Code's simple file dialog (the browser's folder picker) with `dir`. The dialog fills
 * in its start folder asynchronously: type the path only after that, and again if it was
 * overwritten. Enter first navigates into the folder if the dialog has not caught up with the
 * typed path, then accepts it: press it until the dialog closes.
 */
async function chooseFolder(vsc, dir) {
  const input = vsc.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await waitFor('the folder dialog to show its start folder', async () => (await input.inputValue()) !== '');
  await waitFor(`the folder dialog to accept ${dir}`, async () => {
    if (!(await input.isVisible())) return true;
    if ((await input.inputValue()) !== dir + '/') {
      await input.fill(dir + '/');
      await vsc.page.waitForTimeout(500);
      return false;
    }
    await input.press('Enter');
    return input.waitFor({ state: 'hidden', timeout: 2000 }).then(
      () => true,
      () => false,
    );
  });
}

/** Waits for a quick pick and picks the row whose label matches `label`. */
async function pickRow(vsc, label) {
  const page = vsc.page;
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
}

/** Waits for an input box and accepts its proposed value. */
async function acceptInput(vsc) {
  const input = vsc.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.press('Enter');
}

/** Answers the quick picks of the highlight command: a component pick (hidden state) if any, then the neuron. */
async function answerPicks(vsc, neuron, errorsBefore) {
  const page = vsc.page;
  const input = page.locator('.quick-input-widget input.input');
  for (let round = 0; round < 4; round++) {
    // The first pick must come (fail fast if the extension logs an error instead); later ones may not.
    const shown = await waitFor(
      'the highlight command to show a quick pick',
      async () => {
        if (await input.isVisible()) return 'shown';
        const errors = errorLines(vsc).slice(errorsBefore);
        if (errors.length > 0) throw new Fatal(`the extension logged: ${errors.join(' / ')}`);
        return undefined;
      },
      { timeout: round === 0 ? 45_000 : 3_000 },
    ).catch((e) => {
      if (round === 0) throw e;
      return undefined;
    });
    if (!shown) return;
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    const title = (await quickInput(page).innerText()).split('\n')[0];
    if (labels.some((l) => /^Neuron \d+$/.test(l.trim()))) {
      const want = `Neuron ${neuron}`;
      await input.fill(want);
      const exact = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${want}\\s*$`) }) }).first();
      await exact.waitFor({ state: 'visible' });
      if ((await page.locator('.quick-input-list .monaco-list-row.focused .label-name').first().innerText()).trim() === want) {
        await input.press('Enter');
      } else {
        await exact.click();
      }
      await input.waitFor({ state: 'hidden' }).catch(() => {});
      log(`picked ${want}`);
      return;
    }
    const component = labels.findIndex((l) => /\(h\)|hidden/i.test(l));
    if (component >= 0) {
      await input.fill('hidden');
      await page.waitForTimeout(200);
      await input.press('Enter');
      log(`picked component "${labels[component].trim()}"`);
      await page.waitForTimeout(300);
      continue;
    }
    throw new Error(`unexpected quick pick "${title}": ${labels.slice(0, 8).join(' | ')}`);
  }
}

// ------------------------------------------------------------------ editor
log('starting code-server');
const vsc = await harness
  .start({
    extensionDevelopmentPath: root,
    workspace,
    timeout: 120_000,
    keepTmp: !!process.env.VSCODE_E2E_KEEP,
    userSettings: {
      'editor.minimap.enabled': false,
      'editor.occurrencesHighlight': 'off',
      'editor.selectionHighlight': false,
      'editor.renderWhitespace': 'none',
      'editor.hover.delay': 300,
      'editor.tabSize': TAB_SIZE,
      'editor.detectIndentation': false,
      'workbench.colorTheme': 'Default Dark Modern',
    },
  })
  .catch((e) => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fail(`the editor did not start: ${e.stack || e}`);
  });
const page = vsc.page;
page.setDefaultTimeout(45_000);
log(`workbench ready (${vsc.timings.workbenchMs} ms)`);
const watchdog = setTimeout(
  () => {
    console.error(`\n[e2e] FAILED: still running after ${BUDGET_MS / 1000} s; giving up (screenshots so far in ${artifacts})`);
    process.exit(1); // the harness's exit hook kills code-server
  },
  BUDGET_MS - (Date.now() - t0),
);
watchdog.unref();

let failed = false;
try {
  await vsc.openFile(SAMPLE);
  log(`opened ${SAMPLE}`);
  await shot(vsc, 'file-open');

  // ---- Show Model Info: the extension activates, its worker reads the model folder.
  // No Explorer URI: the command asks for a folder (VS Code's simple file dialog in the browser).
  await startCommand(vsc, TITLES.info);
  await chooseFolder(vsc, modelDir);
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /LSTM/i }).first();
  await toast.waitFor({ state: 'visible', timeout: 60_000 });
  log(`model info: ${(await toast.innerText()).replace(/\s+/g, ' ').slice(0, 160)}`);
  await shot(vsc, 'model-info');
  await vsc.runCommand('Notifications: Clear All Notifications');

  // ---- Highlight the active file by a neuron.
  const errorsBefore = errorLines(vsc).length;
  await vsc.runCommand(TITLES.highlight);
  await answerPicks(vsc, NEURON, errorsBefore);
  const status1 = await waitFor('the status bar to show the neuron', async () => statusNeuron(await vsc.statusBarText()), {
    timeout: 60_000,
  });
  log(`status bar: ${JSON.stringify(status1)}`);
  assert.equal(status1.neuron, NEURON, `status bar shows neuron ${status1.neuron}, picked ${NEURON}`);
  const glyphs1 = await waitForColours(
    vsc,
    `the colours of neuron ${NEURON}`,
    sampleText,
    status1.layer,
    status1.component,
    status1.neuron,
    60_000,
  );
  const decos = (await vsc.getEditorDecorations()).filter((d) => d.fromExtension && d.backgroundColor);
  const colours1 = new Set(decos.map((d) => d.backgroundColor));
  log(`highlighted: ${decos.length} coloured decorations, ${colours1.size} colours, ${glyphs1.length} glyphs agree with the CLI`);
  assert.ok(decos.length > 0, 'no coloured decorations');
  assert.ok(colours1.size >= 2, `expected at least two colours, got ${[...colours1].join(', ')}`);
  // The tricky line: tabs and emoji, after CRLF line ends (every glyph was checked above; show it).
  for (const line of [6, 7]) {
    const on = glyphs1.filter((g) => g.line === line);
    assert.ok(on.length > 0, `line ${line} not rendered`);
    log(`line ${line}: ${on.filter((g) => g.colour).length}/${on.length} glyphs coloured, aligned with their tokens`);
  }
  await shot(vsc, 'highlighted');

  // ---- Hover a token: the emoji. The hover names it and gives the neuron's value there, the CLI's.
  const whale = glyphs1.find((g) => g.text === '\u{1F40B}');
  const hover1 = await hoverAt(vsc, whale, NEURON);
  log(`hover: ${hover1.text.slice(0, 200)}`);
  assert.ok(Math.abs(hover1.value - whale.value) < 0.0015, `hover value ${hover1.value}, CLI value ${whale.value}`);
  await shot(vsc, 'hover');
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5);

  // ---- Next Neuron.
  await vsc.runCommand(TITLES.next);
  const status2 = await waitFor('the status bar to show the next neuron', async () => {
    const s = statusNeuron(await vsc.statusBarText());
    return s && s.neuron !== status1.neuron && s;
  });
  log(`next neuron: ${JSON.stringify(status2)}`);
  assert.equal(status2.neuron, (status1.neuron + 1) % base.neurons, 'Next Neuron did not go to the next neuron');
  const glyphs2 = await waitForColours(
    vsc,
    `the colours of neuron ${status2.neuron}`,
    sampleText,
    status2.layer,
    status2.component,
    status2.neuron,
  );
  const changed = glyphs2.filter((g, i) => g.colour !== glyphs1[i]?.colour).length;
  log(`colours changed on ${changed}/${glyphs2.length} glyphs`);
  assert.ok(changed > glyphs2.length / 10, `only ${changed} of ${glyphs2.length} glyphs changed colour`);
  await shot(vsc, 'next-neuron');

  // ---- Type in the middle of the file: the colours follow the new text.
  // A few characters (rather than one) so that the state change visibly lasts a few tokens.
  const [editLine, editColumn, typed] = [2, 20, '1234'];
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input.input').fill(`:${editLine}:${editColumn}`);
  await page.keyboard.press('Enter');
  await page.locator('.part.statusbar', { hasText: `Ln ${editLine}, Col ${editColumn}` }).waitFor();
  await page.keyboard.type(typed);
  const lines = sampleText.split('\r\n');
  lines[editLine - 1] = lines[editLine - 1].slice(0, editColumn - 1) + typed + lines[editLine - 1].slice(editColumn - 1);
  const editedText = lines.join('\r\n');
  const glyphs3 = await waitForColours(vsc, 'the colours to follow the edit', editedText, status2.layer, status2.component, status2.neuron);
  const typedGlyph = glyphs3.find((g) => g.line === editLine && g.column === editColumn);
  assert.equal(typedGlyph?.text, typed[0], 'the typed text is not where expected');
  // Until the extension recomputes, the editor only shifts the old decorations along and the
  // tokens after the edit keep their old colours. When the CLI says some value after the edit
  // moved by more than a colour step, some colour must have changed.
  const before = new Map(glyphs2.map((g) => [g.offset, g.colour]));
  const later = glyphs3.filter((g) => g.offset >= typedGlyph.offset + typed.length);
  const recoloured = later.filter((g) => g.colour !== before.get(g.offset - typed.length)).length;
  const oldValues = activations(sampleText, status2.layer, status2.component).byStart;
  const moved = Math.max(
    ...later.map((g) => Math.abs(g.value - (oldValues.get(g.offset - typed.length)?.values[status2.neuron] ?? g.value))),
  );
  log(
    `after typing "${typed}" at ${editLine}:${editColumn}: colours agree with the CLI on the edited text ` +
      `(${recoloured}/${later.length} later glyphs recoloured; largest value change ${moved.toFixed(2)})`,
  );
  if (moved > 0.15) assert.ok(recoloured > 0, 'no glyph after the edit changed colour: the decorations were not recomputed');
  // The hover on a typed character knows the new token and its value.
  await page.keyboard.press('End'); // move the cursor away from the hovered spot
  const hover2 = await hoverAt(vsc, typedGlyph, status2.neuron);
  log(`hover on the typed "${typedGlyph.text}": ${hover2.text.slice(0, 120)}`);
  assert.ok(Math.abs(hover2.value - typedGlyph.value) < 0.0015, `hover value ${hover2.value}, CLI value ${typedGlyph.value}`);
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5);
  await shot(vsc, 'after-edit');

  // ---- Saliency at the cursor (the end of the file): integrated gradients of the shown neuron
  // colour the text before it, and a hover gives the CLI's attribution for its token.
  const salientText = editedText;
  await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await startCommand(vsc, TITLES.saliency);
  await pickRow(vsc, /at the cursor$/);
  await pickRow(vsc, /^Integrated gradients$/);
  // The editor explains the 256 tokens before the cursor, from a zero state: the CLI gets that window.
  const tokenStarts = [...activations(salientText, status2.layer, status2.component).byStart.keys()].sort((a, b) => a - b);
  const windowStart = tokenStarts[Math.max(0, tokenStarts.length - 256)];
  const expectedSaliency = cliAnalysis(
    'saliency',
    salientText.slice(windowStart),
    '--layer',
    String(status2.layer),
    '--component',
    status2.component,
    '--neuron',
    String(status2.neuron),
    '--method',
    'ig',
    '--steps',
    '32',
  );
  // The status bar says when the attributions are painted (until then the neuron's colours show).
  await page.locator('.part.statusbar', { hasText: 'integrated gradients of' }).waitFor({ timeout: 90_000 });
  // Only glyphs inside the editor's viewport can be hovered (the narrow editor may be scrolled sideways).
  const editorBox = await page.locator('.editor-group-container .monaco-editor .overflow-guard').first().boundingBox();
  const salientGlyphs = (await glyphColours(vsc, salientText, status2.layer, status2.component, status2.neuron)).filter(
    (g) => g.x > editorBox.x + 70 && g.x < editorBox.x + editorBox.width - 20 && g.y > editorBox.y && g.y < editorBox.y + editorBox.height,
  );
  const scoreAt = new Map(expectedSaliency.tokens.map((t) => [windowStart + t.start, t.score]));
  const strongest = salientGlyphs
    .filter((g) => g.colour && /\S/.test(g.text) && scoreAt.has(g.offset))
    .sort((a, b) => Math.abs(scoreAt.get(b.offset)) - Math.abs(scoreAt.get(a.offset)))[0];
  assert.ok(strongest, 'no coloured token with a CLI attribution on screen');
  const hover4 = await hoverAt(vsc, strongest, status2.neuron, 'Integrated gradients of');
  log(`saliency hover: ${hover4.text.slice(0, 160)}`);
  assert.ok(Math.abs(hover4.value - scoreAt.get(strongest.offset)) < 2e-4, `hover ${hover4.value}, CLI ${scoreAt.get(strongest.offset)}`);
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5);
  await shot(vsc, 'saliency');

  // ---- Activation heatmap of the edited file: drawn, with the CLI's tokens and hypotheses.
  await vsc.runCommand('Notifications: Clear All Notifications');
  await vsc.runCommand(TITLES.heatmap);
  let heatmap = await panelFrame(vsc, '.heatmap-grid', 'heatmap');
  const expectedTokens = activations(editedText, status2.layer, status2.component).byStart.size;
  const subtitle = await waitFor(
    'the heatmap to show the edited file',
    async () => {
      const text = (await heatmap.locator('.subtitle').innerText()).replace(/,/g, '');
      return text.includes(`${expectedTokens} tokens × ${base.neurons} neurons`) && text;
    },
    { timeout: 60_000 },
  );
  log(`heatmap: ${subtitle}`);
  assert.match(subtitle, new RegExp(`layer ${status2.layer} · ${status2.component}\\b`));
  const cellsDrawn = await waitFor('the heatmap cells to be drawn', async () => {
    const share = await drawnShare(heatmap, 'canvas.cells-canvas');
    return share > 0.3 && share;
  });
  const axisDrawn = await drawnShare(heatmap, 'canvas.token-axis');
  log(
    `heatmap canvas: ${(100 * cellsDrawn).toFixed(0)} % of the cells' pixels and ${(100 * axisDrawn).toFixed(1)} % of the token axis drawn`,
  );
  assert.ok(axisDrawn > 0.005, 'the token axis shows no token labels');
  // The token axis names the tokens: the column under the pointer is the CLI's token of that index.
  const axis = await heatmap.locator('canvas.token-axis').boundingBox();
  const tokenTexts = [...activations(editedText, status2.layer, status2.component).byStart.values()].map((t) => t.text);
  const shownAs = (t) => ({ ' ': '⟨ ⟩', '\r': '⏎', '\n': '⏎', '\t': '→' })[t] ?? t;
  for (const at of [0.1, 0.5, 0.9]) {
    await page.mouse.move(axis.x + axis.width * at, axis.y + axis.height / 2);
    const tip = await waitFor('the token axis tooltip', async () => {
      const t = heatmap.locator('.tooltip');
      const text = (await t.isVisible()) && (await t.innerText());
      return text && /\ntoken \d+/.test(text) && text;
    });
    const [text, where] = tip.split('\n');
    const index = Number(where.match(/token (\d+)/)[1]);
    log(`token axis at ${at * 100} %: ${JSON.stringify(text)}, ${where}`);
    assert.equal(text, shownAs(tokenTexts[index]), `token ${index} on the axis`);
  }
  await page.mouse.move(5, 5);
  // Features of interest come from the experiment's defaults (" " and "."): the hypotheses are the CLI's top neurons.
  const relevance = cliAnalysis(
    'relevance',
    editedText,
    '--feature',
    ' ',
    '--feature',
    '.',
    '--layer',
    String(status2.layer),
    '--component',
    status2.component,
  );
  const hypotheses = await waitFor('the relevance hypotheses', async () => {
    const rows = await heatmap.locator('.hypothesis').evaluateAll((lis) =>
      lis.map((li) => ({
        feature: li.querySelector('.hypothesis-feature').textContent,
        neurons: [...li.querySelectorAll('.neuron-chip')].map((c) => Number(c.dataset.neuron)),
      })),
    );
    return rows.length === 2 && rows;
  });
  log(`hypotheses: ${hypotheses.map((h) => `${h.feature} → ${h.neurons.join(', ')}`).join('; ')}`);
  assert.deepEqual(
    hypotheses,
    relevance.features.map((f) => ({ feature: f.feature === ' ' ? '⟨ ⟩' : f.feature, neurons: f.top.map((t) => t.neuron) })),
  );
  await shot(vsc, 'heatmap');
  // A hypothesis is one click from the editor: the status bar (and the colours) switch to its neuron.
  const proposed = hypotheses[0].neurons.find((n) => n !== status2.neuron);
  await heatmap.locator(`.hypothesis .neuron-chip[data-neuron="${proposed}"]`).first().click();
  const status3 = await waitFor('the status bar to show the proposed neuron', async () => {
    const st = statusNeuron(await vsc.statusBarText());
    return st && st.neuron === proposed && st;
  });
  log(`clicked hypothesis neuron ${proposed}: status bar ${JSON.stringify(status3)}`);

  // ---- Neuron spectra: heat surface drawn, ranking as the CLI's for the default band.
  await vsc.runCommand(TITLES.spectra);
  let fourier = await panelFrame(vsc, '#heat-surface', 'Fourier');
  const spectra = cliAnalysis('fourier', editedText, '--layer', String(status2.layer), '--component', status2.component);
  const ranking = await waitFor(
    'the band ranking',
    async () => {
      const shown = await fourier.locator('.ranking-list [data-neuron]').evaluateAll((items) => items.map((i) => Number(i.dataset.neuron)));
      return shown.length > 0 && shown;
    },
    { timeout: 60_000 },
  );
  log(`band ${spectra.band.join('–')} ranking: ${ranking.slice(0, 8).join(', ')}… (${ranking.length} neurons)`);
  assert.deepEqual(
    ranking,
    spectra.ranking.map((r) => r.neuron),
  );
  assert.match(
    await fourier.locator('.subtitle').innerText(),
    new RegExp(`${spectra.tokens.toLocaleString('en')} tokens · ${base.neurons} neurons`),
  );
  const surfaceDrawn = await waitFor('the heat surface to be drawn', async () => {
    const share = await drawnShare(fourier, '#heat-surface');
    return share > 0.2 && share;
  });
  log(`heat surface: ${(100 * surfaceDrawn).toFixed(0)} % of its pixels drawn`);
  await shot(vsc, 'spectra');

  // ---- A feature added in the heatmap is written to the experiment file and gets its hypotheses.
  // A frame is found by its position among the webviews, which the new panel may have shifted.
  heatmap = await panelFrame(vsc, '.heatmap-grid', 'heatmap');
  const featureInput = heatmap.locator('#feature-input input');
  await featureInput.fill('e');
  await featureInput.press('Enter');
  const experimentFile = path.join(workspace, '.neuron-lens', 'experiment.json');
  const experiment = await waitFor('the experiment file to hold the new feature', async () => {
    const e = JSON.parse(fs.readFileSync(experimentFile, 'utf8'));
    return e.features.includes('e') && e;
  });
  log(`experiment file: ${JSON.stringify({ features: experiment.features, statistic: experiment.statistic, band: experiment.band })}`);
  assert.deepEqual(experiment.features, [' ', '.', 'e']);
  await waitFor('the hypotheses for "e"', async () => (await heatmap.locator('.hypothesis').count()) === 3);

  // ---- Both panels follow an edit of the file (after a pause), instead of going stale.
  await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('abc');
  const afterTyping = expectedTokens + 3;
  fourier = await panelFrame(vsc, '#heat-surface', 'Fourier');
  heatmap = await panelFrame(vsc, '.heatmap-grid', 'heatmap');
  await waitFor(
    'the heatmap and the spectra to follow the edit',
    async () => {
      const h = (await heatmap.locator('.subtitle').innerText()).replace(/,/g, '');
      const f = (await fourier.locator('.subtitle').innerText()).replace(/,/g, '');
      return h.includes(`${afterTyping} tokens`) && f.startsWith(`${afterTyping} tokens`);
    },
    { timeout: 20_000 },
  );
  log(`after typing "abc" at the end: both panels show ${afterTyping} tokens`);

  // ---- Ablate the shown neuron: a Markdown report compares the loss with and without.
  await startCommand(vsc, TITLES.intervene);
  await acceptInput(vsc); // the shown neuron
  await pickRow(vsc, /^Zero$/);
  await pickRow(vsc, /^At every token$/);
  const report = await panelFrame(vsc, 'table', 'intervention report');
  const reportText = await waitFor('the intervention report', async () => {
    const t = await report.locator('body').innerText();
    return /Loss on sample\.txt/.test(t) && /Next token at the cursor/.test(t) && t;
  });
  log(`intervention report: ${reportText.replace(/\s+/g, ' ').slice(0, 200)}`);
  await shot(vsc, 'intervention');

  // ---- Top contexts of the shown neuron in the workspace: the list opens a place in its file.
  await page.locator('.editor-group-container .monaco-editor .view-lines').first().click();
  await startCommand(vsc, TITLES.contexts);
  await pickRow(vsc, /^This workspace$/);
  const firstPlace = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: '⟦' }) }).first();
  await firstPlace.waitFor({ state: 'visible', timeout: 60_000 });
  const contextsTitle = (await quickInput(page).innerText()).split('\n')[0];
  log(`top contexts: ${contextsTitle}`);
  await firstPlace.click();
  await page.locator('.part.statusbar', { hasText: /\(1 selected\)|\(2 selected\)/ }).waitFor({ timeout: 15_000 });
  await shot(vsc, 'top-contexts');

  // ---- Maximize the shown neuron: a card of the results panel lists the sequences, highest real
  // activation first; the best one's button opens it in a new editor, highlighted by the neuron.
  await startCommand(vsc, TITLES.maximize);
  await pickRow(vsc, /^At the last token$/);
  await acceptInput(vsc);
  const maximizationCard = '.result-card[data-kind="maximization"]';
  // The card appears when the search ends (up to a minute and a half); panelFrame alone waits 30 s.
  const results = await waitFor(
    'the maximisation card in the results panel',
    () => panelFrame(vsc, maximizationCard, 'results').catch(() => undefined),
    {
      timeout: 120_000,
    },
  );
  const card = results.locator(maximizationCard).first();
  const maximizeTitle = await card.locator('.card-title').innerText();
  const figures = (await card.locator('.row-figure').allInnerTexts()).map((t) => Number(t.replace('−', '-')));
  log(
    `maximize: ${maximizeTitle}: ${(await card.locator('.parameters').innerText()).replace(/\s+/g, ' ')}; activations ${figures.join(', ')}`,
  );
  assert.ok(figures.length > 0 && figures.every(Number.isFinite), `row figures: ${figures}`);
  assert.deepEqual(
    figures,
    [...figures].sort((a, b) => b - a),
    'rows ordered by activation, highest first',
  );
  assert.equal(await card.locator('.result-row.best').getAttribute('data-row'), '0', 'the best sequence is the first row');
  await card.locator('.result-row.best vscode-button[data-action="open"]').click();
  await page.locator('.tabs-container .tab.active', { hasText: 'Untitled' }).waitFor({ timeout: 15_000 });
  await waitFor('the maximizing sequence to be highlighted', async () => {
    const decos = (await vsc.getEditorDecorations()).filter((d) => d.fromExtension && d.backgroundColor);
    return decos.length > 0 && decos;
  });
  await shot(vsc, 'maximize');

  // ---- Compare the shown neuron with another one of sample.txt: the panel gives their correlation.
  await page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
  await startCommand(vsc, TITLES.compare);
  await answerPicks(vsc, (status3.neuron + 1) % base.neurons, errorLines(vsc).length);
  const comparison = await panelFrame(vsc, '.correlations', 'comparison');
  const correlations = await waitFor('the correlations', async () => {
    const t = await comparison.locator('.correlations').innerText();
    return /Pearson r = [-−]?\d/.test(t) && t;
  });
  const expectedComparison = cliAnalysis(
    'compare',
    editedText + 'abc',
    '--layer',
    String(status3.layer),
    '--component',
    status3.component,
    '--neuron',
    String(status3.neuron),
    '--with',
    String((status3.neuron + 1) % base.neurons),
  );
  log(
    `comparison: ${correlations} (CLI: Pearson ${expectedComparison.pearson.toFixed(3)}, Spearman ${expectedComparison.spearman.toFixed(3)})`,
  );
  const shownPearson = Number(correlations.match(/Pearson r = ([-−]?[\d.]+)/)[1].replace('−', '-'));
  assert.ok(Math.abs(shownPearson - expectedComparison.pearson) < 0.0015, `panel ${shownPearson}, CLI ${expectedComparison.pearson}`);
  await shot(vsc, 'comparison');

  // ---- Follow the shown neuron across training on sample.txt (shorter than the 2,000-character
  // window, so all of it): the panel opens on the last checkpoint, whose mean is the CLI's.
  await page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
  await vsc.runCommand(TITLES.history);
  const history = await panelFrame(vsc, '#checkpoint-step', 'history');
  const expectedHistory = cliAnalysis(
    'history',
    editedText + 'abc',
    '--layer',
    String(status3.layer),
    '--component',
    status3.component,
    '--neuron',
    String(status3.neuron),
  );
  const rows = expectedHistory.rows.length;
  const checkpoint = await waitFor('the last checkpoint', async () => {
    const t = await history.locator('#checkpoint-step').innerText();
    return t.includes(`${rows} of ${rows}`) && t;
  });
  const historyStats = await history.locator('#checkpoint-stats').innerText();
  const lastRow = expectedHistory.rows[rows - 1];
  log(`history: ${checkpoint}; ${historyStats} (CLI: ${rows} rows, last step ${lastRow.step}, mean ${lastRow.mean.toPrecision(3)})`);
  assert.equal(rows, 4, 'snapshots at 0, 10, 20 and 30');
  assert.ok(checkpoint.startsWith(`step ${lastRow.step} `), checkpoint);
  const shownMean = Number(historyStats.match(/mean ([-−]?[\d.e-]+)/)[1].replace('−', '-'));
  assert.ok(
    Math.abs(shownMean - lastRow.mean) <= Math.max(1e-6, Math.abs(lastRow.mean) * 0.006),
    `panel mean ${shownMean}, CLI ${lastRow.mean}`,
  );
  assert.equal(await history.locator('.tok').count(), expectedHistory.tokens.length, 'one coloured span per token');
  assert.ok((await drawnShare(history, '#multiples')) > 0.3, 'the small multiples are drawn');
  await shot(vsc, 'history');

  // ---- Invert the state the first line leaves: the results panel lists the recovered sequences,
  // closest first, with the distances the CLI finds for the same seeded search.
  await page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
  await page.keyboard.press('Control+Home');
  await startCommand(vsc, TITLES.invert);
  await acceptInput(vsc);
  const inversionCard = '.result-card[data-kind="inversion"]';
  const inverted = await waitFor(
    'the inversion card in the results panel',
    () => panelFrame(vsc, inversionCard, 'results').catch(() => undefined),
    { timeout: 120_000 },
  );
  const distances = (await inverted.locator(`${inversionCard} .row-figure`).allInnerTexts()).map((t) =>
    Number(t.match(/distance ([\d.]+)/)[1]),
  );
  const firstLine = editedText.split('\r\n')[0];
  const expectedInversion = JSON.parse(
    cli(
      'invert',
      '--model',
      modelDir,
      '--text',
      firstLine,
      '--layer',
      String(status3.layer),
      '--length',
      '20',
      '--starts',
      '8',
      '--steps',
      '200',
      '--seed',
      '1',
      '--json',
    ),
  );
  const cliDistances = expectedInversion.sequences.map((q) => q.distance).sort((a, b) => a - b);
  log(`inversion of "${firstLine}": panel distances ${distances.join(', ')}; CLI ${cliDistances.map((d) => d.toFixed(4)).join(', ')}`);
  assert.equal(distances[0], 0, 'the text itself is the first row, at distance 0');
  assert.deepEqual(
    distances.slice(1),
    cliDistances.map((d) => Number(d.toFixed(4))),
    'the recovered sequences, closest first, at the CLI distances',
  );
  await shot(vsc, 'inversion');

  // ---- The shown neuron against the same neuron of the second model: the comparison panel's
  // correlations are the CLI's `compare --model-b`.
  await page.locator('.tabs-container .tab', { hasText: SAMPLE }).first().click();
  await startCommand(vsc, TITLES.compareAcross);
  await chooseFolder(vsc, otherModelDir);
  const acrossModels = await panelFrame(vsc, '.correlations', 'comparison');
  const acrossCorrelations = await waitFor('the correlations across models', async () => {
    const t = await acrossModels.locator('.correlations').innerText();
    const label = await acrossModels.locator('#lane-b-label').innerText();
    return /Pearson r = [-−]?\d/.test(t) && label.includes('other-model') && t;
  });
  const expectedAcross = cliAnalysis(
    'compare',
    editedText + 'abc',
    '--layer',
    String(status3.layer),
    '--component',
    status3.component,
    '--neuron',
    String(status3.neuron),
    '--model-b',
    otherModelDir,
  );
  log(
    `across models: ${acrossCorrelations} (CLI: Pearson ${expectedAcross.pearson.toFixed(3)}, Spearman ${expectedAcross.spearman.toFixed(3)})`,
  );
  const acrossPearson = Number(acrossCorrelations.match(/Pearson r = ([-−]?[\d.]+)/)[1].replace('−', '-'));
  assert.ok(Math.abs(acrossPearson - expectedAcross.pearson) < 0.0015, `panel ${acrossPearson}, CLI ${expectedAcross.pearson}`);
  await shot(vsc, 'across-models');

  // ---- The extension host stayed responsive while highlighting.
  const channel = outputChannelText(vsc);
  const delays = [...channel.matchAll(/event loop max delay (\d+) ms during highlighting/g)].map((m) => Number(m[1]));
  if (delays.length === 0) log('no "event loop max delay" line in the Neuron Lens output channel');
  else {
    log(`event loop max delay during highlighting: ${delays.join(', ')} ms`);
    for (const d of delays) assert.ok(d < 50, `event loop blocked for ${d} ms during highlighting`);
  }

  // ---- Reload the window: the results, across-training and comparison panels come back with
  // what they showed (the results cards from the extension's store, the history from the page's).
  await page.locator('.tabs-container .tab', { hasText: 'Neuron Lens Results' }).first().click();
  const cardsBefore = await waitFor('the results cards', async () => {
    const frame = await panelFrame(vsc, '.result-card', 'results');
    return (await frame.locator('.result-card').count()) || undefined;
  });
  await page.reload();
  await page.locator('.monaco-workbench .part.editor').waitFor({ state: 'visible', timeout: 90_000 });
  // The tab in front before the reload (results) is restored first; the others when shown.
  const restoredResults = await panelFrame(vsc, '.result-card[data-kind="inversion"]', 'restored results');
  const cardsAfter = await restoredResults.locator('.result-card').count();
  // A panel in a background tab is restored when its tab is shown.
  await page.locator('.tabs-container .tab', { hasText: 'Training: ' }).first().click();
  const restoredHistory = await panelFrame(vsc, '#checkpoint-step', 'restored history');
  const restoredStep = await waitFor('the restored checkpoint', async () => {
    const t = await restoredHistory.locator('#checkpoint-step').innerText();
    return t.includes('4 of 4') && t;
  });
  await page.locator('.tabs-container .tab', { hasText: 'Compare: ' }).first().click();
  const restoredComparison = await panelFrame(vsc, '.correlations', 'restored comparison');
  const restoredCorrelations = await waitFor('the restored correlations', async () => {
    const t = await restoredComparison.locator('.correlations').innerText();
    return /Pearson r = [-−]?\d/.test(t) && t;
  });
  log(`after a reload: ${cardsAfter} of ${cardsBefore} results cards, history at ${restoredStep}, comparison ${restoredCorrelations}`);
  assert.equal(cardsAfter, cardsBefore, 'every results card comes back');
  assert.equal(restoredCorrelations, acrossCorrelations, 'the comparison comes back with the same correlations');
  await shot(vsc, 'restored');
} catch (e) {
  failed = true;
  console.error(e);
  try {
    console.error(`screenshot of the failure: ${await shot(vsc, 'FAILED')}`);
  } catch {
    /* browser gone */
  }
  const channel = outputChannelText(vsc);
  if (channel) {
    fs.writeFileSync(path.join(artifacts, 'neuron-lens-output.log'), channel);
    console.error(`"Neuron Lens" output channel:\n${channel}`);
  }
  fs.copyFileSync(vsc.logFile, path.join(artifacts, 'code-server.log'));
} finally {
  clearTimeout(watchdog);
  await vsc.stop();
  if (!process.env.VSCODE_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
}
for (const s of shots) console.log(`screenshot: ${path.relative(process.cwd(), s)}`);
if (failed) fail('see the error above');
log('e2e passed');
