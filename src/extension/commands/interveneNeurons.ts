/**
 * Ablate or Clamp Neurons…: what happens to the model when neurons are silenced or held. The
 * report compares the loss on the active file, the next-token distribution at the cursor and a
 * sample generated from the same seed, without and with the intervention. It is a run-time
 * change in the engine: the model's weights and folder are never touched.
 */
import * as vscode from 'vscode';
import type { InterventionParams } from '../../shared/protocol';
import { withCancellableProgress } from '../cancellableProgress';
import { interventionReport, parseUnits } from '../interventionReport';
import { neuronShortName } from '../neuronLabels';
import type { Services } from '../services';
import { reportError } from '../userErrors';
import { chosenNeuron } from './chosenNeuron';

/** Two passes over the file: kept to what takes seconds. */
const MAX_CHARS = 100_000;
const GENERATE_LENGTH = 200;

export async function interveneNeurons(s: Services): Promise<void> {
  const editor = s.recentEditor.editor;
  if (!editor) {
    void vscode.window.showInformationMessage('Neuron Lens: open a text file first: the effect is measured on it.');
    return;
  }
  const model = await s.models.ensureModel(true);
  if (!model) return;
  const shown = await chosenNeuron(s);
  if (!shown) return;
  const states = model.cell === 'lstm' ? ['h', 'c'] : ['h'];
  const component = (states.includes(shown.component) ? shown.component : 'h') as 'h' | 'c';
  const unitsText = await vscode.window.showInputBox({
    title: `Neuron Lens: neurons of layer ${shown.layer} ${component} to change`,
    prompt: `Neuron numbers from 0 to ${shown.units - 1}, separated by commas (gates cannot be held: the state ${component} is)`,
    value: String(shown.neuron),
    validateInput: (v) => (parseUnits(v, shown.units) ? undefined : `Numbers from 0 to ${shown.units - 1}, e.g. 3, 17`),
  });
  if (unitsText === undefined) return;
  const units = parseUnits(unitsText, shown.units)!;
  const mode = await vscode.window.showQuickPick(
    [
      { label: 'Zero', description: 'set the neurons to 0', mode: 'zero' as const },
      { label: 'Mean', description: 'set them to their mean over this file', mode: 'mean' as const },
      { label: 'Clamp…', description: 'hold them at a value you choose', mode: 'clamp' as const },
    ],
    { title: 'Neuron Lens: intervention' },
  );
  if (!mode) return;
  let value: number | undefined;
  if (mode.mode === 'clamp') {
    const v = await vscode.window.showInputBox({
      title: 'Neuron Lens: clamp to',
      value: '1',
      validateInput: (x) => (x.trim() !== '' && Number.isFinite(Number(x)) ? undefined : 'A number, e.g. 1 or -0.5'),
    });
    if (v === undefined) return;
    value = Number(v);
  }
  const where = await vscode.window.showQuickPick(
    [
      { label: 'At every token', where: 'all' as const },
      { label: 'Only at tokens matching a feature…', description: 'e.g. a space or /[.!?]/', where: 'feature' as const },
    ],
    { title: 'Neuron Lens: where' },
  );
  if (!where) return;
  let scope: InterventionParams['where'] = 'all';
  if (where.where === 'feature') {
    const feature = await vscode.window.showInputBox({
      title: 'Neuron Lens: feature of interest',
      prompt: 'A token (a single space counts) or a /regular expression/',
      value: ' ',
    });
    if (!feature) return;
    scope = { feature };
  }
  const document = editor.document;
  const full = document.getText();
  const text = full.length > MAX_CHARS ? full.slice(0, MAX_CHARS) : full;
  const offset = Math.min(document.offsetAt(editor.selection.active), text.length);
  const params: InterventionParams = {
    text,
    layer: shown.layer,
    component,
    units,
    mode: mode.mode,
    value,
    where: scope,
    offset: Math.max(1, offset),
    top: 8,
    generateLength: GENERATE_LENGTH,
    seed: 1,
  };
  try {
    const result = await withCancellableProgress(
      'Neuron Lens: measuring the intervention',
      (signal) => s.engine.request('intervene', params, { signal }),
      { delayMs: 300 },
    );
    const title = `${mode.label.replace('…', '')} ${units.map((u) => neuronShortName(shown.layer, component, u)).join(', ')}`;
    await s.reports.show(
      title,
      interventionReport(title, document.uri.path.split('/').pop() ?? 'file', params, result, full.length > MAX_CHARS),
    );
  } catch (e) {
    reportError(s.log, e, 'measuring the intervention');
  }
}
