/**
 * Colours a document by one score per token that is not a neuron's live activation: saliency
 * attributions, a neuron cluster's factor, pattern-search matches. The scores belong to one
 * version of the text, so the overlay is removed at the first edit instead of drifting onto other
 * characters. It has its own decoration types, and hides the neuron highlighting of the document
 * it covers (two background colours on one token would read as neither).
 */
import * as vscode from 'vscode';
import { markdownLiteral } from '../shared/markdownText';
import { DecorationPainter } from './decorationPainter';
import type { Highlighter } from './highlighter';
import { formatSigned, visibleToken } from './neuronLabels';
import { type PaletteName, bucketsOf, colourScale, quantileOfDistance } from './palette';
import { readSettings } from './settings';
import { tokenAt } from './tokenIndex';

export interface TokenScores {
  /** What the scores are, e.g. "Integrated gradients of neuron 14 (layer 1 h)". */
  title: string;
  /** Token character ranges in the text the scores were computed on. */
  starts: Int32Array;
  ends: Int32Array;
  scores: Float32Array;
  /** A line under the value in hovers, e.g. the method and its parameters. */
  detail?: string;
}

interface Shown {
  document: vscode.TextDocument;
  version: number;
  scores: TokenScores;
}

export const OVERLAY_CONTEXT_KEY = 'neuronLens.tokenScoresShown';

export class TokenScoreOverlay implements vscode.Disposable, vscode.HoverProvider {
  private readonly painter: DecorationPainter;
  private readonly shown = new Map<string, Shown>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    palette: PaletteName,
    private readonly highlighter: Highlighter,
    private readonly notify: (message: string) => void,
  ) {
    this.painter = new DecorationPainter(palette);
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const entry = this.shown.get(e.document.uri.toString());
        if (entry && e.contentChanges.length > 0) {
          this.clear(e.document);
          this.notify(`${entry.scores.title}: cleared, the text changed (run it again for the new text)`);
        }
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.repaintVisible()),
      vscode.workspace.onDidCloseTextDocument((d) => this.shown.delete(d.uri.toString())),
      highlighter.onDidEnable((d) => this.clear(d)),
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('neuronLens.palette') && this.setPalette(readSettings().palette),
      ),
      vscode.languages.registerHoverProvider('*', this),
    );
  }

  /** Paints `scores` over the editor's document; the neuron highlighting of that document stops. */
  show(editor: vscode.TextEditor, scores: TokenScores): void {
    const count = scores.scores.length;
    if (scores.starts.length !== count || scores.ends.length !== count) {
      throw new Error(`Token scores: ${count} scores for ${scores.starts.length} tokens`);
    }
    const document = editor.document;
    this.highlighter.disable(document);
    this.shown.set(document.uri.toString(), { document, version: document.version, scores });
    this.repaintVisible();
    void this.updateContext();
  }

  clear(document: vscode.TextDocument): void {
    if (!this.shown.delete(document.uri.toString())) return;
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === document) this.painter.clear(editor);
    void this.updateContext();
  }

  clearAll(): void {
    for (const { document } of [...this.shown.values()]) this.clear(document);
  }

  isShown(document: vscode.TextDocument): boolean {
    return this.shown.has(document.uri.toString());
  }

  setPalette(palette: PaletteName): void {
    this.painter.setPalette(palette);
    this.repaintVisible();
  }

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const entry = this.shown.get(document.uri.toString());
    if (!entry || entry.version !== document.version) return undefined;
    const { starts, ends, scores } = entry.scores;
    const t = tokenAt(starts, ends, scores.length, document.offsetAt(position));
    if (t < 0) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**Neuron Lens** · token ');
    md.appendMarkdown(markdownLiteral(visibleToken(document.getText().slice(starts[t], ends[t]))));
    md.appendMarkdown('\n\n');
    md.appendText(`${entry.scores.title}: `);
    md.appendMarkdown(`**${formatSigned(scores[t]!, 4)}**`);
    if (entry.scores.detail) {
      md.appendMarkdown('\n\n');
      md.appendText(entry.scores.detail);
    }
    return new vscode.Hover(md, new vscode.Range(document.positionAt(starts[t]!), document.positionAt(ends[t]!)));
  }

  private repaintVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const entry = this.shown.get(editor.document.uri.toString());
      if (!entry || entry.version !== editor.document.version) continue;
      const { starts, ends, scores } = entry.scores;
      // Attributions have no natural range: stretch to the 99th percentile of |score|.
      const scale = colourScale('signed', 'robust', quantileOfDistance(scores, 0, 0.99), scores);
      this.painter.paint(editor, { text: editor.document.getText(), starts, ends, buckets: bucketsOf(scores, scale) });
    }
  }

  private updateContext(): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', OVERLAY_CONTEXT_KEY, this.shown.size > 0);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.painter.dispose();
    this.shown.clear();
  }
}
