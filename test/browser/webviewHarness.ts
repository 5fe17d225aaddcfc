import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import type * as vscode from 'vscode';
import { pageStylesheets, webviewHtml } from '../../src/extension/panels/webviewHtml';
import type { FromWebview, ToWebview } from '../../src/shared/panelMessages';

/**
 * Loads one built webview bundle (dist/webview/<name>.js, with its stylesheets as the extension
 * loads them: media/panel.css first for the pages built on it, then media/<name>.css) into
 * headless Chromium with a stand-in for VS Code's webview API: messages the page posts are
 * recorded, messages for it are delivered as VS Code does (a window 'message' event), and the
 * state it saves with setState can be handed to a fresh page to test restoring.
 */
export interface WebviewPage {
  page: Page;
  send(message: ToWebview): Promise<void>;
  /** Messages the webview has posted so far. */
  posted(): Promise<FromWebview[]>;
  /** What the webview last stored with vscode.setState. */
  savedState(): Promise<unknown>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test/browser/artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser | undefined;

async function sharedBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (bash ../shared/tools/vscode-e2e/setup.sh does) or set CHROMIUM_PATH`,
    );
  }
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

export async function openWebview(
  name: string,
  options: { state?: unknown; theme?: 'dark' | 'light'; viewport?: { width: number; height: number } } = {},
): Promise<WebviewPage> {
  const bundle = path.join(ROOT, 'dist/webview', `${name}.js`);
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  const css = [
    path.join(ROOT, 'dist/webview', `${name}.css`),
    ...pageStylesheets(name).map((s) => path.join(ROOT, 'media', `${s}.css`)),
  ].filter((f) => fs.existsSync(f));
  const dark = (options.theme ?? 'dark') === 'dark';
  // The --vscode-* variables a theme provides; the panels must read their colours from these.
  const themeVars = dark
    ? '--vscode-editor-background:#1f1f1f;--vscode-editor-foreground:#cccccc;--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-editor-font-family:monospace;--vscode-focusBorder:#0078d4;--vscode-panel-border:#2b2b2b;--vscode-descriptionForeground:#9d9d9d;--vscode-button-background:#0078d4;--vscode-button-foreground:#ffffff;--vscode-input-background:#313131;--vscode-input-foreground:#cccccc;--vscode-charts-red:#f14c4c;--vscode-charts-blue:#3794ff;--vscode-charts-foreground:#cccccc;--vscode-charts-lines:#cccccc80'
    : '--vscode-editor-background:#ffffff;--vscode-editor-foreground:#3b3b3b;--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-editor-font-family:monospace;--vscode-focusBorder:#005fb8;--vscode-panel-border:#e5e5e5;--vscode-descriptionForeground:#717171;--vscode-button-background:#005fb8;--vscode-button-foreground:#ffffff;--vscode-input-background:#ffffff;--vscode-input-foreground:#3b3b3b;--vscode-charts-red:#e51400;--vscode-charts-blue:#1a85ff;--vscode-charts-foreground:#616161;--vscode-charts-lines:#61616180';
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
${css.map((f) => `<link rel="stylesheet" href="file://${f}">`).join('\n')}
</head><body class="${dark ? 'vscode-dark' : 'vscode-light'}" style="${themeVars};background:var(--vscode-editor-background);color:var(--vscode-editor-foreground)">
<script>
  window.__posted = [];
  window.__state = ${JSON.stringify(options.state ?? null)};
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(m),
    getState: () => window.__state,
    setState: (s) => { window.__state = s; return s; },
  });
</script>
<script src="file://${bundle}"></script>
</body></html>`;
  const file = path.join(ARTIFACTS, `.${name}-${process.pid}-${Date.now()}.html`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(file, html);
  const context = await (await sharedBrowser()).newContext({ viewport: options.viewport ?? { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  return {
    page,
    send: async (message) => {
      if (errors.length) throw new Error(`webview error: ${errors.join('; ')}`);
      // Runs in the page, where globalThis is the window.
      await page.evaluate(
        (m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'),
        message as unknown,
      );
    },
    posted: async () => (await page.evaluate(() => (globalThis as unknown as { __posted: FromWebview[] }).__posted)) as FromWebview[],
    savedState: () => page.evaluate(() => (globalThis as unknown as { __state: unknown }).__state),
    screenshot: async (name) => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, name) });
    },
    close: async () => {
      await context.close();
      fs.rmSync(file, { force: true });
      if (errors.length) throw new Error(`webview error: ${errors.join('; ')}`);
    },
  };
}

/** A page loaded from the extension's own HTML shell (webviewHtml), under its Content Security Policy. */
export interface CspPage extends WebviewPage {
  /** The HTML shell as the extension writes it. */
  html: string;
  /** Uncaught errors in the page so far. */
  errors: string[];
  /** The CSP violations reported so far, as "<directive> <blocked URI>". */
  violations(): Promise<string[]>;
}

/**
 * Loads page `name` the way VS Code does: from webviewHtml's shell with its CSP (cspSource
 * `file:`), bundle and stylesheets, in a fresh context, with VS Code's webview API injected as
 * its preload is (scripts injected by the harness are exempt from the page's CSP). Closing it
 * does not throw for page errors: the test asserts on `errors`.
 */
export async function openUnderCsp(name: string, title: string, viewport?: { width: number; height: number }): Promise<CspPage> {
  const fileUri = (p: string): vscode.Uri =>
    ({ path: p, with: (c: { path: string }) => fileUri(c.path), toString: () => `file://${p}` }) as unknown as vscode.Uri;
  const html = webviewHtml({ cspSource: 'file:', asWebviewUri: (u: vscode.Uri) => u }, fileUri(ROOT), name, title);
  const file = path.join(ARTIFACTS, `.csp-${name}-${process.pid}.html`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(file, html);
  const context = await (await sharedBrowser()).newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  await page.addInitScript(() => {
    const g = globalThis as unknown as Record<string, unknown> & {
      document: { addEventListener(t: string, f: (e: never) => void): void };
    };
    // tsx compiles this function with esbuild's keepNames, whose helper the page lacks.
    g.__name = (f: unknown) => f;
    g.__posted = [];
    g.__violations = [];
    g.document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) =>
      (g.__violations as string[]).push(`${e.violatedDirective} ${e.blockedURI}`),
    );
    g.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => (g.__posted as unknown[]).push(m),
      getState: () => undefined,
      setState: () => undefined,
    });
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${file}`);
  return {
    html,
    page,
    errors,
    violations: () => page.evaluate(() => (globalThis as unknown as { __violations: string[] }).__violations),
    send: async (message) => {
      await page.evaluate(
        (m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'),
        message as unknown,
      );
    },
    posted: async () => (await page.evaluate(() => (globalThis as unknown as { __posted: FromWebview[] }).__posted)) as FromWebview[],
    savedState: async () => undefined,
    screenshot: async (shot) => {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, shot) });
    },
    close: async () => {
      await context.close();
      fs.rmSync(file, { force: true });
    },
  };
}
