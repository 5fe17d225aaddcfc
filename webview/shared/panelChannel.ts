import type { FromWebview, ToWebview } from '../../src/shared/panelMessages';

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

/**
 * A page's one handle on VS Code, typed with its protocol: the panels' (FromWebview, ToWebview) by
 * default, or the side panel's (FromSidePanel, ToSidePanel). VS Code lets a page call
 * acquireVsCodeApi only once, and the handle must not leak to window (any script could post as
 * the panel), so it lives in this module and nowhere else.
 */
export class PanelChannel<State, Out = FromWebview, In = ToWebview> {
  private readonly api = acquireVsCodeApi();

  post(message: Out): void {
    this.api.postMessage(message);
  }

  /**
   * Hands `handler` each message from the extension that `parse` accepts, field by field; others
   * are dropped, so a malformed post cannot leave the page half-drawn. Taking the parser here
   * means no page can forget it.
   */
  onMessage<M extends In>(parse: (raw: unknown) => M | undefined, handler: (message: M) => void): void {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      const m = parse(event.data);
      if (m !== undefined) handler(m);
    });
  }

  /** The state saved before the page was last destroyed (hidden tab or view, window reload), if it passes `isState`. */
  restore(isState: (x: unknown) => x is State): State | undefined {
    const saved = this.api.getState();
    return isState(saved) ? saved : undefined;
  }

  save(state: State): void {
    this.api.setState(state);
  }
}
