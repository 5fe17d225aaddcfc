import type { FromWebview } from '../../src/shared/panelMessages';
import { csvText } from './csv';

/**
 * Export requests a panel posts: the page cannot write files, so it hands the extension a file
 * name and the content (PNG as a data: URL, CSV as text) and the extension asks where to save.
 */

/** A file name the extension's validator accepts (letters, digits, space, dot, dash, underscore). */
export function fileName(title: string, suffix: string, extension: 'png' | 'csv'): string {
  const stem = `${title} ${suffix}`
    .replace(/[^\w .-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 90);
  return `${stem || 'neuron-lens'}.${extension}`;
}

/**
 * A canvas as a PNG on an opaque background: chart.js and our canvases draw on transparent pixels
 * that would look black or white in other programs, whatever the theme was.
 */
export function pngExport(canvas: HTMLCanvasElement, name: string, background: string): FromWebview {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d')!;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(canvas, 0, 0);
  return { type: 'export', format: 'png', name, content: copy.toDataURL('image/png') };
}

export function csvExport(header: string[], rows: Iterable<(string | number | undefined)[]>, name: string): FromWebview {
  return { type: 'export', format: 'csv', name, content: csvText(header, rows) };
}
