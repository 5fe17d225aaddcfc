import { el } from './element';

export interface TooltipLine {
  text: string;
  className?: string;
}

/** A readout that follows the pointer, kept inside the panel. Text only (token text is untrusted). */
export class Tooltip {
  readonly element = el('div', 'tooltip');

  constructor() {
    this.element.setAttribute('role', 'tooltip');
    this.element.hidden = true;
  }

  show(lines: readonly TooltipLine[], clientX: number, clientY: number): void {
    this.element.replaceChildren(...lines.map((l) => el('div', l.className ?? '', l.text)));
    this.element.hidden = false;
    const gap = 14;
    const { offsetWidth: w, offsetHeight: h } = this.element;
    const x = clientX + gap + w > window.innerWidth ? clientX - gap - w : clientX + gap;
    const y = clientY + gap + h > window.innerHeight ? clientY - gap - h : clientY + gap;
    this.element.style.left = `${Math.max(0, x)}px`;
    this.element.style.top = `${Math.max(0, y)}px`;
  }

  hide(): void {
    this.element.hidden = true;
  }
}
