import * as crypto from 'node:crypto';
import * as path from 'node:path';
import type * as vscode from 'vscode';

type WebviewLike = Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>;

/** A child of an extension folder without the `vscode` runtime (Uri.with keeps the scheme and authority). */
function child(base: vscode.Uri, ...segments: string[]): vscode.Uri {
  return base.with({ path: path.posix.join(base.path, ...segments) });
}

/** The folders a panel may load from: its bundles and its stylesheets; nothing of the workspace. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [child(extensionUri, 'dist', 'webview'), child(extensionUri, 'media')];
}

/** Options for a panel's webview: scripts on, forms and command links off, local resources limited to the roots above. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableForms: false, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
}

/**
 * The pages whose stylesheet builds on media/panel.css (page, title, toolbar, focus ring and error
 * banner of the spectra and training panels). The heatmap and the side panel lay out their own.
 */
const PAGES_ON_PANEL_BASE: ReadonlySet<string> = new Set(['fourier', 'training', 'comparison', 'vision', 'history', 'results']);

/** The stylesheets of page `name`, in load order, by base name: media/<each>.css. */
export function pageStylesheets(name: string): string[] {
  return PAGES_ON_PANEL_BASE.has(name) ? ['panel', name] : [name];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The HTML shell of every Neuron Lens panel: a strict Content Security Policy, the panel's bundle
 * (dist/webview/<name>.js) allowed by a fresh nonce, its stylesheets (media/<name>.css, after
 * media/panel.css for the pages built on it: see pageStylesheets), and an
 * empty body that the bundle fills. Only `vscode` types are imported, so the shell can be rendered
 * and checked in a plain browser test.
 *
 * CSP, directive by directive:
 * - default-src 'none': nothing loads unless allowed below; no network, no frames, no workers.
 * - script-src 'nonce-…': only the script tag written here runs; no inline handlers, no eval.
 * - style-src ${cspSource}: stylesheets from the extension's own folders. Components built on Lit
 *   use constructed stylesheets, and the panels set styles through the CSSOM, neither of which
 *   needs 'unsafe-inline'.
 * - img-src ${cspSource} data:: the extension's images and data: URLs (a canvas shown as an image).
 * - font-src ${cspSource}: codicons, if a panel ever uses them.
 *
 * @param name the bundle's and stylesheet's base name: dist/webview/<name>.js, media/<name>.css
 */
export function webviewHtml(webview: WebviewLike, extensionUri: vscode.Uri, name: string, title: string): string {
  if (!/^[a-z][a-zA-Z0-9-]*$/.test(name)) throw new Error(`Invalid webview name: ${name}`);
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(child(extensionUri, 'dist', 'webview', `${name}.js`)).toString();
  const styles = pageStylesheets(name).map((css) => webview.asWebviewUri(child(extensionUri, 'media', `${css}.css`)).toString());
  const source = webview.cspSource;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${source}`,
    `img-src ${source} data:`,
    `font-src ${source}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.map((style) => `<link rel="stylesheet" href="${escapeHtml(style)}">`).join('\n')}
<title>${escapeHtml(title)}</title>
</head>
<body>
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(script)}"></script>
</body>
</html>
`;
}
