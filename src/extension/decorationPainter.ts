/**
 * Draws token colours in editors. One decoration type per colour bucket, created once per palette,
 * so a repaint is one setDecorations call per bucket however many tokens there are. Line-break
 * tokens get a second set of types that draw a block after the end of the line, where a
 * background range would have no width.
 */
import * as vscode from 'vscode';
import { planDecorations } from './decorationPlan';
import { LEVELS, type PaletteName, paletteColours } from './palette';
import { tokensOverlapping } from './tokenIndex';

/** Tokens of one analysed text and their colour buckets (one per computed token). */
export interface PaintData {
  text: string;
  starts: Int32Array;
  ends: Int32Array;
  buckets: Int8Array;
}

/** Up to this many tokens a document is painted whole; beyond, the visible lines and a margin. */
export const FULL_PAINT_TOKENS = 10_000;
const MARGIN_LINES = 100;

interface PaintedWindow {
  firstLine: number;
  lastLine: number;
  whole: boolean;
}

export class DecorationPainter implements vscode.Disposable {
  private spanTypes = new Map<number, vscode.TextEditorDecorationType>();
  private lineEndTypes = new Map<number, vscode.TextEditorDecorationType>();
  private palette: PaletteName | undefined;
  private readonly windows = new WeakMap<vscode.TextEditor, PaintedWindow>();

  constructor(palette: PaletteName) {
    this.setPalette(palette);
  }

  /** Rebuilds the decoration types for another palette; the caller repaints. */
  setPalette(palette: PaletteName): void {
    if (palette === this.palette) return;
    this.disposeTypes();
    this.palette = palette;
    for (const { bucket, css } of paletteColours(palette, LEVELS)) {
      this.spanTypes.set(
        bucket,
        vscode.window.createTextEditorDecorationType({
          backgroundColor: css,
          // Text typed at a token's edge must not take its colour before the next analysis.
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
      this.lineEndTypes.set(
        bucket,
        vscode.window.createTextEditorDecorationType({
          after: { contentText: '\u00a0', backgroundColor: css },
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
  }

  paint(editor: vscode.TextEditor, data: PaintData): void {
    const doc = editor.document;
    const count = Math.min(data.buckets.length, data.starts.length);
    let from = 0;
    let to = count;
    if (count > FULL_PAINT_TOKENS) {
      const window = this.windowFor(editor);
      const start = doc.offsetAt(new vscode.Position(window.firstLine, 0));
      const end = doc.offsetAt(doc.lineAt(window.lastLine).rangeIncludingLineBreak.end);
      ({ from, to } = tokensOverlapping(data.starts, data.ends, count, start, end));
      this.windows.set(editor, window);
    } else {
      this.windows.set(editor, { firstLine: 0, lastLine: doc.lineCount - 1, whole: true });
    }
    const plan = planDecorations(data.text, data.starts, data.ends, data.buckets, from, to, LEVELS);
    for (const [bucket, type] of this.spanTypes) {
      const tokens = plan.spans[bucket + LEVELS] ?? [];
      editor.setDecorations(
        type,
        tokens.map((t) => new vscode.Range(doc.positionAt(data.starts[t]!), doc.positionAt(data.ends[t]!))),
      );
    }
    for (const [bucket, type] of this.lineEndTypes) {
      const tokens = plan.lineEnds[bucket + LEVELS] ?? [];
      editor.setDecorations(
        type,
        tokens.map((t) => {
          const at = doc.positionAt(data.starts[t]!);
          return new vscode.Range(at, at);
        }),
      );
    }
  }

  /** Whether scrolling took the editor's visible lines near the edge of a partly painted document. */
  needsRepaint(editor: vscode.TextEditor): boolean {
    const painted = this.windows.get(editor);
    if (!painted || painted.whole) return false;
    const { first, last } = visibleLines(editor);
    const lastLine = editor.document.lineCount - 1;
    const slack = MARGIN_LINES / 2;
    return (painted.firstLine > 0 && first < painted.firstLine + slack) || (painted.lastLine < lastLine && last > painted.lastLine - slack);
  }

  clear(editor: vscode.TextEditor): void {
    this.windows.delete(editor);
    for (const type of [...this.spanTypes.values(), ...this.lineEndTypes.values()]) editor.setDecorations(type, []);
  }

  private windowFor(editor: vscode.TextEditor): PaintedWindow {
    const { first, last } = visibleLines(editor);
    const lastLine = editor.document.lineCount - 1;
    return { firstLine: Math.max(0, first - MARGIN_LINES), lastLine: Math.min(lastLine, last + MARGIN_LINES), whole: false };
  }

  private disposeTypes(): void {
    for (const type of [...this.spanTypes.values(), ...this.lineEndTypes.values()]) type.dispose();
    this.spanTypes = new Map();
    this.lineEndTypes = new Map();
  }

  dispose(): void {
    this.disposeTypes();
  }
}

function visibleLines(editor: vscode.TextEditor): { first: number; last: number } {
  const ranges = editor.visibleRanges;
  if (ranges.length === 0) return { first: 0, last: 0 };
  return { first: Math.min(...ranges.map((r) => r.start.line)), last: Math.max(...ranges.map((r) => r.end.line)) };
}
