/**
 * Hovers on highlighted tokens: the token, the selected neuron's value there, and the neurons
 * most active at that token as links that switch to them. Links run only neuronLens.selectNeuron
 * (an allow-list instead of a fully trusted string, since token text comes from the document).
 */
import * as vscode from 'vscode';
import { markdownLiteral } from '../shared/markdownText';
import type { TokenNeuronsResult } from '../shared/protocol';
import type { EngineClient } from './engineClient';
import type { Highlighter } from './highlighter';
import { componentTitle, formatSigned, neuronLabel, visibleToken } from './neuronLabels';
import type { ModelService } from './modelService';
import type { NeuronRef } from './neuronSelection';

export const SELECT_NEURON_COMMAND = 'neuronLens.selectNeuron';
const TOP_NEURONS = 5;
/** A hover waits this long for the engine (which may be busy training) before showing what it has. */
const ENGINE_WAIT_MS = 1500;

export function selectNeuronUri(ref: NeuronRef): string {
  return `command:${SELECT_NEURON_COMMAND}?${encodeURIComponent(JSON.stringify([ref]))}`;
}

export class NeuronHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly highlighter: Highlighter,
    private readonly engine: EngineClient,
    private readonly models: ModelService,
  ) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const info = this.highlighter.tokenInfo(document, document.offsetAt(position));
    if (!info) return undefined;
    const { selection } = info;
    const layers = this.models.model?.layers.length ?? 1;
    const md = new vscode.MarkdownString();
    md.isTrusted = { enabledCommands: [SELECT_NEURON_COMMAND] };
    md.appendMarkdown('**Neuron Lens** · token ');
    md.appendMarkdown(markdownLiteral(visibleToken(info.text)));
    md.appendMarkdown(` · #${info.index}\n\n`);
    md.appendText(`${neuronLabel(selection.neuron)} of ${componentTitle({ ...selection, label: selection.componentLabel }, layers)}: `);
    md.appendMarkdown(`**${formatSigned(info.value, 3)}**`);

    const top = await this.topNeurons(info.docId, info.start, token);
    if (token.isCancellationRequested) return undefined;
    if (top && top.token.start === info.start) {
      const links = top.top.map((n) => {
        const ref = { layer: selection.layer, component: selection.component, neuron: n.neuron };
        const current = n.neuron === selection.neuron ? ' (shown)' : '';
        return `[${neuronLabel(n.neuron)}](${selectNeuronUri(ref)} "Highlight ${neuronLabel(n.neuron)}") ${formatSigned(n.value, 2)}${current}`;
      });
      if (links.length > 0) md.appendMarkdown(`\n\nMost active here: ${links.join(' · ')}`);
    }
    return new vscode.Hover(md, new vscode.Range(document.positionAt(info.start), document.positionAt(info.end)));
  }

  private async topNeurons(docId: string, offset: number, token: vscode.CancellationToken): Promise<TokenNeuronsResult | null> {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.engine.request('tokenNeurons', { docId, offset, k: TOP_NEURONS }, { signal: controller.signal }),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => {
            controller.abort();
            resolve(null);
          }, ENGINE_WAIT_MS);
        }),
      ]);
    } catch {
      // The hover still shows the token and its value; the neighbours are a bonus.
      return null;
    } finally {
      clearTimeout(timer);
      cancel.dispose();
    }
  }
}
