/**
 * The cards of the results panel and what their buttons do. A command adds a card together with
 * its handler; the card's buttons come back from the page as (card id, action, row), which are
 * checked against the card as it was added (the row exists, and it, or the card, has that button)
 * before the handler runs. The list outlives the panel's page (hidden tab, reopened panel) but not
 * the panel: closing the panel clears it.
 */
import * as vscode from 'vscode';
import { MAX_RESULT_CARDS, type ResultAction, type ResultCard } from '../../shared/panelMessages';
import type { NewResultCard } from '../resultCards';
import { reportError } from '../userErrors';
import { panelExporter } from './exportFile';
import { ResultsPanel, type ResultsPanelHandlers } from './resultsPanel';

/** Runs a button of a card: row `row`'s, or the card's own when `row` is undefined. */
export type ResultHandler = (action: ResultAction, row: number | undefined) => Promise<void>;

interface Entry {
  card: ResultCard;
  handle: ResultHandler;
}

export class ResultsController implements vscode.Disposable {
  private entries: Entry[] = [];
  private panel: ResultsPanel | undefined;
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The cards shown, newest first. */
  get cards(): readonly ResultCard[] {
    return this.entries.map((e) => e.card);
  }

  /** Puts a card at the top (the oldest beyond the cap drops off) and shows the panel beside, keeping focus. */
  add(card: NewResultCard, handle: ResultHandler): string {
    const id = `card-${this.nextId++}`;
    this.entries = [{ card: { ...card, id }, handle }, ...this.entries].slice(0, MAX_RESULT_CARDS);
    this.show();
    return id;
  }

  /** Checks a button press against the card it names, then runs it; false when it does not fit the card. */
  async act(id: string, action: ResultAction, row: number | undefined): Promise<boolean> {
    const entry = this.entries.find((e) => e.card.id === id);
    if (!entry) return false;
    const buttons = row === undefined ? entry.card.buttons : entry.card.rows[row]?.buttons;
    if (!buttons?.some((b) => b.action === action)) return false;
    try {
      await entry.handle(action, row);
    } catch (e) {
      reportError(this.log, e, `${action} on a ${entry.card.kind} result`);
    }
    return true;
  }

  close(id: string): void {
    this.entries = this.entries.filter((e) => e.card.id !== id);
    this.publish();
  }

  clear(): void {
    this.entries = [];
    this.publish();
  }

  dispose(): void {
    this.panel?.dispose();
    this.entries = [];
  }

  private show(): void {
    const panel = ResultsPanel.createOrShow(this.extensionUri, this.handlers());
    if (panel !== this.panel) {
      this.panel = panel;
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.entries = [];
      });
    }
    this.publish();
  }

  private publish(): void {
    this.panel?.showResults({ cards: this.entries.map((e) => e.card) });
  }

  private handlers(): ResultsPanelHandlers {
    return {
      onAction: (id, action, row) => void this.act(id, action, row),
      onClose: (id) => this.close(id),
      onClear: () => this.clear(),
      onExport: panelExporter(this.log),
    };
  }
}
