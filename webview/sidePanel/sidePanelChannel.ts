import type { FromSidePanel, ToSidePanel } from '../../src/shared/sidePanelMessages';

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

/**
 * The side panel's one handle on VS Code, typed with the side panel's protocol (the panels'
 * PanelChannel speaks theirs). VS Code lets a page call acquireVsCodeApi only once, and the handle
 * must not leak to window (any script could post as the view), so it lives here and nowhere else.
 */
export class SidePanelChannel<State> {
  private readonly api = acquireVsCodeApi();

  post(message: FromSidePanel): void {
    this.api.postMessage(message);
  }

  onMessage(handler: (message: ToSidePanel) => void): void {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      const m = event.data;
      if (typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string') handler(m as ToSidePanel);
    });
  }

  /** The state saved before the page was last destroyed (hidden view, window reload), if it passes `isState`. */
  restore(isState: (x: unknown) => x is State): State | undefined {
    const saved = this.api.getState();
    return isState(saved) ? saved : undefined;
  }

  save(state: State): void {
    this.api.setState(state);
  }
}
