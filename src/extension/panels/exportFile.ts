import * as vscode from 'vscode';
import { writeFileAtomic } from '../../shared/atomicWrite';

const PNG_DATA_URL = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The bytes of a PNG a webview exported as a data: URL. The page is untrusted, so anything that is
 * not a base64 PNG (by its signature) is refused rather than written under a .png name.
 */
export function decodePngDataUrl(url: string): Uint8Array {
  if (!url.startsWith(PNG_DATA_URL)) throw new Error('the panel sent an image that is not a PNG');
  const bytes = Buffer.from(url.slice(PNG_DATA_URL.length), 'base64');
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error('the panel sent an image that is not a valid PNG');
  }
  return bytes;
}

/**
 * Saves a panel export where the user chooses (the panel proposes `name`), replacing an existing
 * file atomically so a failed write never leaves half a file. Returns the saved location, or
 * undefined if the user cancelled.
 */
export async function saveExport(format: 'png' | 'csv', name: string, content: string): Promise<vscode.Uri | undefined> {
  const bytes = format === 'png' ? decodePngDataUrl(content) : Buffer.from(content, 'utf8');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: `Neuron Lens: export ${format.toUpperCase()}`,
    saveLabel: 'Export',
    filters: format === 'png' ? { 'PNG image': ['png'] } : { 'CSV (comma-separated values)': ['csv'] },
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!target) return undefined;
  if (target.scheme === 'file') await writeFileAtomic(target.fsPath, bytes);
  else await vscode.workspace.fs.writeFile(target, bytes);
  return target;
}

/** The panels' export handler: saves, says where in the status bar, and logs. */
export function panelExporter(log: vscode.LogOutputChannel): (format: 'png' | 'csv', name: string, content: string) => Promise<void> {
  return async (format, name, content) => {
    const saved = await saveExport(format, name, content);
    if (!saved) return;
    log.info(`exported ${format.toUpperCase()} to ${saved.fsPath || saved.toString()}`);
    vscode.window.setStatusBarMessage(`Neuron Lens: saved ${vscode.workspace.asRelativePath(saved)}`, 5000);
  };
}
