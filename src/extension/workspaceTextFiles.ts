/**
 * The workspace's files a corpus-wide command reads: found with the editor's file search, on
 * disk only (the worker reads them by path), and capped so a huge workspace cannot stall the
 * engine.
 */
import * as vscode from 'vscode';

export const MAX_WORKSPACE_FILES = 500;

/** Files that are certainly not text; the worker refuses other binaries itself. */
const BINARY = /\.(png|jpe?g|gif|ico|pdf|zip|gz|tgz|vsix|wasm|bin|exe|dll|so|dylib|woff2?|ttf|mp[34])$/i;
/** Folders nobody means to search (an explicit exclude replaces `files.exclude`, so .git is named). */
const EXCLUDE = '{**/node_modules/**,**/.git/**}';

export async function workspaceTextFiles(exclude?: vscode.Uri): Promise<{ paths: string[]; capped: boolean }> {
  const uris = await vscode.workspace.findFiles('**/*', EXCLUDE, MAX_WORKSPACE_FILES + 1);
  const paths = uris
    .filter((u) => u.scheme === 'file' && u.toString() !== exclude?.toString() && !BINARY.test(u.path))
    .map((u) => u.fsPath)
    .sort();
  return { paths: paths.slice(0, MAX_WORKSPACE_FILES), capped: paths.length > MAX_WORKSPACE_FILES };
}
