/**
 * Onboarding: the Getting Started walkthrough (`contributes.walkthroughs` in package.json, pages in
 * media/walkthrough/), the sample text its steps work on, and a one-time notification offering
 * the walkthrough after install.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const WALKTHROUGH_ID = 'gettingStarted';
/** globalState key: set once the first-run notification has been shown (whatever the answer). */
export const OFFERED_KEY = 'neuronLens.walkthroughOffered';
export const SAMPLE_FILE = path.join('media', 'sample.txt');

/** `publisher.name#walkthrough`, the id `workbench.action.openWalkthrough` takes. */
export function walkthroughId(extensionId: string): string {
  return `${extensionId}#${WALKTHROUGH_ID}`;
}

export function registerOnboarding(context: vscode.ExtensionContext): vscode.Disposable[] {
  const open = () => vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId(context.extension.id), false);
  return [
    vscode.commands.registerCommand('neuronLens.openWalkthrough', open),
    vscode.commands.registerCommand('neuronLens.openSample', () => openSample(context)),
  ];
}

/**
 * Opens the sample text (the opening of Moby-Dick and a dialogue with quotes) as a new untitled
 * document beside the walkthrough, so editing it never touches the installed extension.
 */
export async function openSample(context: vscode.ExtensionContext): Promise<vscode.TextEditor> {
  const text = await fs.promises.readFile(path.join(context.extensionPath, SAMPLE_FILE), 'utf8');
  const document = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
  const beside =
    vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputText ? undefined : vscode.ViewColumn.Beside;
  const editor = await vscode.window.showTextDocument(document, { viewColumn: beside ?? vscode.ViewColumn.Active, preview: false });
  // One paragraph per line, as the model was trained: wrap them in this editor when wrapping is off.
  if (vscode.workspace.getConfiguration('editor', document).get<string>('wordWrap') === 'off') {
    await vscode.commands.executeCommand('editor.action.toggleWordWrap');
  }
  return editor;
}

/**
 * After the first install, offers the walkthrough once. Not in an extension development host
 * (F5, the end-to-end test of the source folder), where it would only get in the way.
 */
export async function offerWalkthroughOnce(context: vscode.ExtensionContext): Promise<void> {
  if (context.globalState.get<boolean>(OFFERED_KEY)) return;
  if (context.extensionMode !== vscode.ExtensionMode.Production) return;
  await context.globalState.update(OFFERED_KEY, true);
  const choice = await vscode.window.showInformationMessage(
    'Neuron Lens is ready: it colours any file by a neuron of its bundled model, no training needed.',
    'Get Started',
    'Not Now',
  );
  if (choice === 'Get Started') await vscode.commands.executeCommand('neuronLens.openWalkthrough');
}
