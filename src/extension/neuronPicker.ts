/**
 * The QuickPicks that choose what to show: a layer and component, then a neuron. The neuron list
 * opens at once, numbered, so a neuron can be picked by typing its number; each neuron's
 * statistics on the document fill in as soon as the engine has them.
 */
import * as vscode from 'vscode';
import type { NeuronRanking, NeuronStats } from '../shared/protocol';
import type { ActiveModel } from './modelService';
import {
  type ComponentChoice,
  componentChoices,
  componentTitle,
  neuronDescription,
  neuronLabel,
  rankingDescription,
  visibleToken,
  typedNeuron,
} from './neuronLabels';
import type { NeuronRef } from './neuronSelection';

interface ComponentItem extends vscode.QuickPickItem {
  choice: ComponentChoice;
}

interface NeuronItem extends vscode.QuickPickItem {
  neuron: number;
}

/** Asks for a layer and component when the model has more than one; undefined when dismissed. */
export async function pickComponent(model: ActiveModel, current: NeuronRef | undefined): Promise<ComponentChoice | undefined> {
  const choices = componentChoices(model);
  if (choices.length <= 1) return choices[0];
  const items: ComponentItem[] = choices.map((choice) => ({
    label: componentTitle(choice, model.layers.length),
    description: `${choice.units} neurons${current && current.layer === choice.layer && current.component === choice.component ? ' · current' : ''}`,
    choice,
  }));
  const active = items.find((i) => i.choice.layer === current?.layer && i.choice.component === current?.component);
  // Put the current component first so Enter keeps it, without reordering the model's list.
  const ordered = active ? [active, ...items.filter((i) => i !== active)] : items;
  const picked = await vscode.window.showQuickPick(ordered, {
    title: 'Neuron Lens: layer and component',
    placeHolder: 'Which internal of the model to show (type to filter, e.g. "forget")',
  });
  return picked?.choice;
}

export interface NeuronPickOptions {
  title: string;
  units: number;
  current?: number;
  /** Per-neuron statistics; the list shows without them until they arrive. */
  stats: Promise<NeuronStats[]>;
  /** Called when the statistics fail: the picker closes. */
  onError: (e: unknown) => void;
}

/** A neuron number, or undefined when dismissed. */
export function pickNeuron(options: NeuronPickOptions): Promise<number | undefined> {
  const pick = vscode.window.createQuickPick<NeuronItem>();
  pick.title = options.title;
  pick.placeholder = `Type a neuron number (0–${options.units - 1}); statistics on this document are computed…`;
  pick.matchOnDescription = false;
  pick.busy = true;
  const items: NeuronItem[] = Array.from({ length: options.units }, (_, neuron) => ({ label: neuronLabel(neuron), neuron }));
  pick.items = items;
  const currentItem = options.current !== undefined ? items[options.current] : undefined;
  if (currentItem) pick.activeItems = [currentItem];

  return new Promise((resolve) => {
    let done = false;
    const finish = (value: number | undefined) => {
      if (done) return;
      done = true;
      resolve(value);
      pick.dispose();
    };
    options.stats.then(
      (stats) => {
        if (done) return;
        const byNeuron = new Map(stats.map((s) => [s.neuron, s]));
        const active = pick.activeItems[0]?.neuron;
        const described = items.map((item) => {
          const s = byNeuron.get(item.neuron);
          return s ? { ...item, description: neuronDescription(s) } : item;
        });
        pick.items = described;
        const keep = active !== undefined ? described[active] : undefined;
        if (keep && pick.value === '') pick.activeItems = [keep];
        pick.placeholder = `Type a neuron number (0–${options.units - 1}); mean ± spread, range and most active tokens on this document`;
        pick.busy = false;
      },
      (e: unknown) => {
        if (done) return;
        finish(undefined);
        options.onError(e);
      },
    );
    pick.onDidAccept(() => {
      // Enter right when the statistics replace the items can find no active item yet: the typed
      // number still says which neuron. With nothing to go by, the pick stays open.
      const neuron = pick.selectedItems[0]?.neuron ?? pick.activeItems[0]?.neuron ?? typedNeuron(pick.value, options.units);
      if (neuron !== undefined) finish(neuron);
    });
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}

/** Neurons ranked for a selected text, most specific first; the picked neuron or undefined. */
export async function pickRankedNeuron(ranking: NeuronRanking, selectedText: string, what: string): Promise<number | undefined> {
  const items: NeuronItem[] = ranking.neurons.map((n) => ({
    label: neuronLabel(n.neuron),
    description: rankingDescription(n),
    neuron: n.neuron,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Neuron Lens: neurons of ${what} that respond to ${visibleToken(selectedText)} (${ranking.matches.toLocaleString('en')} matches)`,
    placeHolder: `Most specific first; score: ${ranking.statistic}; in/out: mean value on matching / other tokens`,
  });
  return picked?.neuron;
}
