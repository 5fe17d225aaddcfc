/**
 * Commands that choose and show a neuron in the editor: the picker flow, stepping through
 * neurons, turning highlighting on and off, and the hover links' neuron switch.
 */
import * as vscode from 'vscode';
import { componentTitle } from '../neuronLabels';
import { pickComponent, pickNeuron } from '../neuronPicker';
import type { NeuronRef } from '../neuronSelection';
import type { Services } from '../services';
import { reportError } from '../userErrors';

const TOP_TOKENS = 3;

/**
 * Highlight Active File by Neuron…: a component (when the model has several), then a neuron of
 * it described by its statistics on this document, then colours the document.
 */
export async function highlightActiveFile(s: Services): Promise<void> {
  // The active editor, or the one beside a focused panel or walkthrough page.
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first, then highlight it.');
    return;
  }
  const document = editor.document;
  if (s.highlighter.refuses(document)) return;
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const current = s.selection.current;
  const choice = await pickComponent(model, current);
  if (!choice) return;

  const release = s.highlighter.hold(document);
  const controller = new AbortController();
  try {
    const docId = document.uri.toString();
    const stats = (async () => {
      await s.highlighter.analyze(document, choice, { complete: false, signal: controller.signal });
      const described = await s.engine.request('describeNeurons', { docId, topTokens: TOP_TOKENS }, { signal: controller.signal });
      return described.neurons;
    })();
    const sameComponent = current && current.layer === choice.layer && current.component === choice.component;
    const neuron = await pickNeuron({
      title: `Neuron Lens: neuron of ${componentTitle(choice, model.layers.length)} (${choice.units} neurons)`,
      units: choice.units,
      current: sameComponent ? current.neuron : undefined,
      stats,
      onError: (e) => reportError(s.log, e, `describing the neurons of ${document.uri.path}`),
    });
    if (neuron === undefined) {
      controller.abort();
      return;
    }
    s.selection.set({ layer: choice.layer, component: choice.component, componentLabel: choice.label, units: choice.units, neuron });
    s.highlighter.highlight(document);
  } finally {
    release();
  }
}

export function registerHighlightCommands(s: Services): vscode.Disposable[] {
  const step = (delta: number) => {
    if (!s.selection.current) return highlightActiveFile(s);
    s.selection.step(delta);
    const editor = vscode.window.activeTextEditor;
    if (editor && !s.highlighter.isHighlighted(editor.document)) s.highlighter.highlight(editor.document);
    return undefined;
  };
  return [
    vscode.commands.registerCommand('neuronLens.highlightActiveFile', () => highlightActiveFile(s)),
    vscode.commands.registerCommand('neuronLens.nextNeuron', () => step(+1)),
    vscode.commands.registerCommand('neuronLens.previousNeuron', () => step(-1)),
    vscode.commands.registerCommand('neuronLens.toggleHighlighting', () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return undefined;
      if (s.highlighter.isHighlighted(editor.document)) {
        s.highlighter.disable(editor.document);
        return undefined;
      }
      if (!s.selection.current) return highlightActiveFile(s);
      s.highlighter.highlight(editor.document);
      return undefined;
    }),
    vscode.commands.registerCommand('neuronLens.clearHighlighting', () => s.highlighter.clearAll()),
    vscode.commands.registerCommand('neuronLens.selectNeuron', (arg: unknown) => selectNeuron(s, arg)),
  ];
}

/** Switches to a neuron given as {layer, component, neuron} (hover links) or a bare number (same component). */
function selectNeuron(s: Services, arg: unknown): void {
  const model = s.models.model;
  const current = s.selection.current;
  const ref = parseRef(arg, current);
  if (!model || !ref) return;
  const units = model.layers[ref.layer];
  const component = model.components.find((c) => c.id === ref.component);
  if (units === undefined || !component || ref.neuron >= units) return;
  s.selection.set({ ...ref, units, componentLabel: component.label });
  const editor = vscode.window.activeTextEditor;
  if (editor && !s.highlighter.isHighlighted(editor.document)) s.highlighter.highlight(editor.document);
}

function parseRef(arg: unknown, current: NeuronRef | undefined): NeuronRef | undefined {
  const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (isIndex(arg)) return current ? { ...current, neuron: arg } : undefined;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { layer, component, neuron } = arg as Record<string, unknown>;
  if (!isIndex(layer) || typeof component !== 'string' || !isIndex(neuron)) return undefined;
  return { layer, component, neuron };
}
