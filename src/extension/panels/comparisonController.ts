/**
 * Keeps the comparison panel showing two neurons on one document: the neuron shown in the editor
 * (it follows the highlighter, as the other panels do) and a second one the user picked, from the
 * same component or another. Edits recompute it after a pause, like the heatmap. The target is
 * kept in workspace state, so a panel restored after a window reload computes it again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pearson, spearman } from '../../shared/correlation';
import type { ComparedNeuron, ComparisonData } from '../../shared/panelMessages';
import type { NeuronValuesResult } from '../../shared/protocol';
import { largestDisagreements } from '../../shared/traceDisagreements';
import { documentName } from '../documentText';
import { EngineError } from '../engineClient';
import { modelName, neuronShortName } from '../neuronLabels';
import type { NeuronRef } from '../neuronSelection';
import { ComparisonPanel, type ComparisonPanelHandlers } from './comparisonPanel';
import { type PanelServices, type PanelTarget, DocumentPanelController } from './documentPanelController';
import { panelExporter } from './exportFile';
import { componentOf } from './panelComponent';
import { parseStoredComparison, storedComparison } from './storedComparison';

/** Tokens listed where the two neurons disagree most. */
const DISAGREEMENTS = 20;
/** workspaceState key of the target (StoredComparison). */
const TARGET_KEY = 'neuronLens.comparisonTarget';

export interface ComparisonTarget extends PanelTarget {
  /** The first neuron, of the target's layer and component. */
  neuron: number;
  second: NeuronRef;
  /**
   * The second lane's model, when it is not the active one: the same neuron in another model
   * folder (it follows the first lane's neuron).
   */
  secondModel?: { dir: string; name: string };
}

/** One lane's neuron and values; the label defaults to the neuron's short name. */
interface Lane {
  ref: NeuronRef;
  values: Pick<NeuronValuesResult, 'values' | 'range' | 'robustScale'>;
  label?: string;
}

/** The tokens and offsets behind the panel shown: a clicked token is revealed from these. */
interface ShownTokens {
  version: number;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
}

export class ComparisonController extends DocumentPanelController<ComparisonTarget> {
  private panel: ComparisonPanel | undefined;
  private shown: ShownTokens | undefined;
  private readonly export: ReturnType<typeof panelExporter>;

  constructor(s: PanelServices) {
    super(s, TARGET_KEY);
    this.export = panelExporter(s.log);
  }

  protected get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /**
   * Compare Two Neurons: `first` (the neuron shown) against `second` on the document, of the
   * active model or, with `secondModel`, of another model folder.
   */
  async show(
    document: vscode.TextDocument,
    first: NeuronRef,
    second: NeuronRef,
    secondModel?: ComparisonTarget['secondModel'],
  ): Promise<void> {
    this.target = { uri: document.uri, layer: first.layer, component: first.component, neuron: first.neuron, second, secondModel };
    this.remember();
    this.attach(ComparisonPanel.createOrShow(this.s.context.extensionUri, this.handlers()));
    await this.refresh(`Neuron Lens: comparing neurons on ${documentName(document)}`);
  }

  /**
   * For the serializer: takes over the panel VS Code restored after a reload and computes the
   * remembered comparison again (the page keeps nothing of it); a document or model folder that
   * is gone meanwhile is said in the panel.
   */
  revive(webviewPanel: vscode.WebviewPanel): Promise<void> {
    const stored = parseStoredComparison(this.s.context.workspaceState.get<unknown>(TARGET_KEY));
    this.attach(ComparisonPanel.revive(webviewPanel, this.s.context.extensionUri, this.handlers()));
    if (!stored) {
      this.panel?.showError('Run "Neuron Lens: Compare Two Neurons…" (or "Compare Neuron Across Two Models…") to fill this panel.');
      return Promise.resolve();
    }
    this.target = { ...stored, uri: vscode.Uri.parse(stored.uri) };
    return this.refresh();
  }

  private attach(panel: ComparisonPanel): void {
    if (panel === this.panel) return;
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.shown = undefined;
      this.stop();
    });
  }

  /** Keeps the whole target (both neurons, the other model) for the serializer. */
  protected override remember(): void {
    if (this.target) void this.s.context.workspaceState.update(TARGET_KEY, storedComparison(this.target));
  }

  private handlers(): ComparisonPanelHandlers {
    return {
      onRevealToken: (index) => void this.revealToken(index).catch((e: unknown) => this.fail(e)),
      onExport: (format, name, content) => this.export(format, name, content),
    };
  }

  protected async compute(target: ComparisonTarget, signal: AbortSignal): Promise<void> {
    if (target.secondModel) return this.computeAcrossModels(target, target.secondModel, signal);
    const model = await this.requireModel(target);
    const secondChoice = componentOf(model, target.second);
    if (!secondChoice || target.second.neuron >= secondChoice.units) {
      const s = target.second;
      throw new EngineError(`The model has no neuron ${s.neuron} of ${s.component} in layer ${s.layer}`, 'invalid-input', true);
    }
    const firstChoice = componentOf(model, target)!;
    // The first lane is the neuron shown in the editor: it follows the highlighter's choice.
    const selected = this.s.selection.current;
    if (selected && selected.layer === target.layer && selected.component === target.component) target.neuron = selected.neuron;
    if (target.neuron >= firstChoice.units) target.neuron = 0;

    const document = await this.document(target);
    const docId = document.uri.toString();
    const values = (neuron: number) => this.s.engine.request('neuronValues', { docId, neuron }, { signal });
    const sameComponent = target.second.layer === target.layer && target.second.component === target.component;
    const first = await this.withAnalysis(document, target, signal, async (analysis) => ({
      analysis,
      a: await values(target.neuron),
      b: sameComponent ? await values(target.second.neuron) : undefined,
    }));
    let b = first.b;
    if (b === undefined) {
      // The engine keeps one component per document: the second neuron's component is analysed in its own turn.
      const second = await this.withAnalysis(
        document,
        { uri: target.uri, layer: target.second.layer, component: target.second.component },
        signal,
        async (analysis) => ({
          analysis,
          b: await values(target.second.neuron),
        }),
      );
      if (second.analysis.version !== first.analysis.version) throw new EngineError('The document changed meanwhile', 'stale', true);
      b = second.b;
    }
    this.showLanes(document, first.analysis, { ref: target, values: first.a }, { ref: target.second, values: b }, signal);
  }

  /**
   * The shown neuron of the active model against the same neuron of another model folder, which
   * must read the text as the same tokens (same level) for the lanes to line up.
   */
  private async computeAcrossModels(target: ComparisonTarget, other: { dir: string; name: string }, signal: AbortSignal): Promise<void> {
    const model = await this.requireModel(target);
    // Deleted or moved since it was picked (a panel restored after a reload compares it again).
    if (!fs.existsSync(path.join(other.dir, 'model.json'))) {
      throw new EngineError(
        `${other.dir} holds no model (no model.json; moved or deleted?): run "Compare Neuron Across Two Models…" again with a model folder`,
        'not-found',
        true,
      );
    }
    const selected = this.s.selection.current;
    if (selected && selected.layer === target.layer && selected.component === target.component) target.neuron = selected.neuron;
    target.second = { layer: target.layer, component: target.component, neuron: target.neuron };
    const document = await this.document(target);
    const { analysis, a } = await this.withAnalysis(document, target, signal, async (analysis) => ({
      analysis,
      a: await this.s.engine.request('neuronValues', { docId: document.uri.toString(), neuron: target.neuron }, { signal }),
    }));
    const b = await this.s.engine.request(
      'neuronValuesInModel',
      { dir: other.dir, text: document.getText(), ...target.second },
      { signal },
    );
    if (document.version !== analysis.version) throw new EngineError('The document changed meanwhile', 'stale', true);
    const count = Math.min(analysis.computed, b.starts.length);
    for (let t = 0; t < count; t++) {
      if (b.starts[t] !== analysis.starts[t] || b.ends[t] !== analysis.ends[t]) {
        const unit = (level: string) => (level === 'word' ? 'words' : 'characters');
        throw new EngineError(
          `${other.name} reads ${documentName(document)} as different tokens from the active model (it splits the text into ${unit(b.level)}; the first difference is at character ${Math.min(b.starts[t]!, analysis.starts[t]!)}): compare two models of the same tokenization level`,
          'invalid-input',
          true,
        );
      }
    }
    const label = (ref: NeuronRef, model: string) => `${neuronShortName(ref.layer, ref.component, ref.neuron)} · ${model}`;
    this.showLanes(
      document,
      analysis,
      { ref: target, values: a, label: label(target, modelName(model)) },
      { ref: target.second, values: { ...b, values: b.values.subarray(0, count) }, label: label(target.second, other.name) },
      signal,
    );
  }

  private showLanes(
    document: vscode.TextDocument,
    analysis: { version: number; computed: number; starts: Int32Array; ends: Int32Array },
    first: Lane,
    second: Lane,
    signal: AbortSignal,
  ): void {
    const count = Math.min(analysis.computed, first.values.values.length, second.values.values.length);
    if (count < 2) throw new EngineError(`${documentName(document)} has fewer than 2 tokens: nothing to compare`, 'invalid-input', true);
    if (signal.aborted || !this.panel) return;
    if (document.version !== analysis.version) throw new EngineError('The document changed meanwhile', 'stale', true);

    const text = document.getText();
    const tokens = Array.from({ length: count }, (_, t) => text.slice(analysis.starts[t], analysis.ends[t]));
    const traceA = first.values.values.subarray(0, count);
    const traceB = second.values.values.subarray(0, count);
    const lane = ({ ref, values, label }: Lane, trace: Float32Array): ComparedNeuron => ({
      label: label ?? neuronShortName(ref.layer, ref.component, ref.neuron),
      range: values.range,
      robustScale: values.robustScale,
      values: trace.slice(),
    });
    const data: ComparisonData = {
      title: documentName(document),
      tokens,
      a: lane(first, traceA),
      b: lane(second, traceB),
      pearson: pearson(traceA, traceB),
      spearman: spearman(traceA, traceB),
      disagreements: largestDisagreements(traceA, traceB, DISAGREEMENTS),
    };
    this.shown = { version: analysis.version, starts: analysis.starts, ends: analysis.ends, count };
    this.panel.showComparison(data);
    // The first lane may have moved to the neuron shown in the editor.
    this.remember();
  }

  private async revealToken(index: number): Promise<void> {
    const t = this.target;
    const shown = this.shown;
    if (!t || !shown || index >= shown.count) return;
    const document = await this.document(t);
    // After an edit the offsets are stale until the refresh that is on its way.
    if (document.version !== shown.version) return;
    const range = new vscode.Range(document.positionAt(shown.starts[index]!), document.positionAt(shown.ends[index]!));
    const column = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  protected neuronSelected(neuron: number): void {
    const t = this.target;
    if (!t || t.neuron === neuron) return;
    t.neuron = neuron;
    void this.refresh();
  }

  protected experimentChanged(): Promise<void> {
    // Nothing of the comparison comes from the experiment file.
    return Promise.resolve();
  }

  protected showError(message: string): void {
    this.panel?.showError(message);
  }
}
