/**
 * The cards of the results panel and what their buttons do. A command adds a card together with
 * what its buttons do as data (CardActions); the card's buttons come back from the page as (card
 * id, action, row), which are checked against the card as it was added (the row exists, and it,
 * or the card, has that button) before the action runs. The list outlives the panel's page
 * (hidden tab, reopened panel) and a window reload (it is kept in workspace state, see
 * storedResults), but not the panel: closing the panel clears it.
 */
import * as vscode from 'vscode';
import { MAX_RESULT_CARDS, type ResultAction, type ResultCard } from '../../shared/panelMessages';
import type { CardActions, NewResultCard } from '../resultCards';
import { type ResultEntry, restoreResults, storeResults } from '../storedResults';
import { reportError } from '../userErrors';
import { panelExporter } from './exportFile';
import { ResultsPanel, type ResultsPanelHandlers } from './resultsPanel';

/** Runs a button of a card from the card and its actions: row `row`'s, or the card's own when `row` is undefined. */
export type CardActionRunner = (card: ResultCard, actions: CardActions, action: ResultAction, row: number | undefined) => Promise<void>;

/** workspaceState key of the cards (StoredResults). */
const CARDS_KEY = 'neuronLens.resultCards';

export class ResultsController implements vscode.Disposable {
  private entries: ResultEntry[] = [];
  private panel: ResultsPanel | undefined;
  private nextId = 1;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly state: vscode.Memento,
    private readonly run: CardActionRunner,
  ) {}

  /** The cards shown, newest first. */
  get cards(): readonly ResultCard[] {
    return this.entries.map((e) => e.card);
  }

  /** Puts a card at the top (the oldest beyond the cap drops off) and shows the panel beside, keeping focus. */
  add(card: NewResultCard, actions: CardActions): string {
    const id = `card-${this.nextId++}`;
    this.entries = [{ card: { ...card, id }, actions }, ...this.entries].slice(0, MAX_RESULT_CARDS);
    this.attach(ResultsPanel.createOrShow(this.extensionUri, this.handlers()));
    this.publish();
    return id;
  }

  /**
   * For the serializer: takes over the panel VS Code restored after a reload with the cards kept
   * in workspace state (the page keeps none); a card whose stored form is malformed is left out.
   */
  revive(webviewPanel: vscode.WebviewPanel): void {
    const stored = this.state.get<unknown>(CARDS_KEY);
    this.entries = restoreResults(stored);
    const kept = (stored as { entries?: unknown[] } | undefined)?.entries?.length ?? 0;
    if (kept > this.entries.length)
      this.log.warn(`results panel: ${kept - this.entries.length} kept cards were malformed and are left out`);
    // New cards get ids after the restored ones.
    this.nextId = 1 + Math.max(0, ...this.entries.map((e) => Number(/^card-(\d+)$/.exec(e.card.id)?.[1] ?? 0)));
    this.attach(ResultsPanel.revive(webviewPanel, this.extensionUri, this.handlers()));
    this.publish();
  }

  /** Checks a button press against the card it names, then runs it; false when it does not fit the card. */
  async act(id: string, action: ResultAction, row: number | undefined): Promise<boolean> {
    const entry = this.entries.find((e) => e.card.id === id);
    if (!entry) return false;
    const buttons = row === undefined ? entry.card.buttons : entry.card.rows[row]?.buttons;
    if (!buttons?.some((b) => b.action === action)) return false;
    try {
      await this.run(entry.card, entry.actions, action, row);
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

  /**
   * Lets go of the panel without closing it or forgetting the cards: on a window reload the
   * extension is disposed, and the panel and its cards are to come back afterwards.
   */
  dispose(): void {
    this.panel = undefined;
    this.entries = [];
  }

  private attach(panel: ResultsPanel): void {
    if (panel === this.panel) return;
    this.panel = panel;
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      // Closed by the user: the cards go with it. The kept copy stays: only an open panel is
      // restored, and the next card replaces it; clearing it here could also wipe it if VS Code
      // disposed the panel while shutting down for a reload.
      this.panel = undefined;
      this.entries = [];
    });
  }

  private publish(): void {
    this.panel?.showResults({ cards: this.entries.map((e) => e.card) });
    this.keep();
  }

  private keep(): void {
    const kept = storeResults(this.entries);
    if (kept && kept.entries.length < this.entries.length) {
      this.log.info(`results panel: the ${this.entries.length - kept.entries.length} oldest cards are too large to keep across a reload`);
    }
    void this.state.update(CARDS_KEY, kept);
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
