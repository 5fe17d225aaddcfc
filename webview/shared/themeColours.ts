/**
 * Colours and fonts of the current VS Code theme, read from the --vscode-* variables VS Code sets
 * on the page. Canvas and chart.js drawing cannot use CSS variables directly, so they read these
 * and redraw when the theme changes.
 */
export interface ThemeColours {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  border: string;
  focus: string;
  blue: string;
  red: string;
  orange: string;
  green: string;
  purple: string;
  fontFamily: string;
  fontSize: number;
  dark: boolean;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readThemeColours(): ThemeColours {
  const style = getComputedStyle(document.body);
  const dark = !document.body.classList.contains('vscode-light');
  const foreground = cssVar(style, '--vscode-editor-foreground', dark ? '#cccccc' : '#3b3b3b');
  return {
    background: cssVar(style, '--vscode-editor-background', dark ? '#1f1f1f' : '#ffffff'),
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', foreground),
    grid: cssVar(style, '--vscode-charts-lines', dark ? '#cccccc40' : '#61616140'),
    border: cssVar(style, '--vscode-panel-border', dark ? '#2b2b2b' : '#e5e5e5'),
    focus: cssVar(style, '--vscode-focusBorder', '#0078d4'),
    blue: cssVar(style, '--vscode-charts-blue', '#3794ff'),
    red: cssVar(style, '--vscode-charts-red', '#f14c4c'),
    orange: cssVar(style, '--vscode-charts-orange', '#d18616'),
    green: cssVar(style, '--vscode-charts-green', '#89d185'),
    purple: cssVar(style, '--vscode-charts-purple', '#b180d7'),
    fontFamily: cssVar(style, '--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(cssVar(style, '--vscode-font-size', '13')) || 13,
    dark,
  };
}

/**
 * Calls `redraw` whenever VS Code switches theme: it swaps the body's vscode-light/dark classes and
 * rewrites the --vscode-* variables in the root element's style.
 */
export function onThemeChange(redraw: () => void): void {
  const observer = new MutationObserver(redraw);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}

let probe: CanvasRenderingContext2D | null | undefined;

/** The red, green, blue (0–255) and alpha (0–1) of any CSS colour, as the canvas itself parses it. */
export function parseColour(colour: string): [number, number, number, number] {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return [128, 128, 128, 1];
  probe.fillStyle = '#000000';
  probe.fillStyle = colour;
  // The canvas normalises colours to #rrggbb when opaque and rgba(r, g, b, a) otherwise.
  const normal = String(probe.fillStyle);
  if (normal.startsWith('#'))
    return [parseInt(normal.slice(1, 3), 16), parseInt(normal.slice(3, 5), 16), parseInt(normal.slice(5, 7), 16), 1];
  const parts = normal.match(/[\d.]+/g)?.map(Number) ?? [];
  return [parts[0] ?? 128, parts[1] ?? 128, parts[2] ?? 128, parts[3] ?? 1];
}

/** `colour` at the given opacity, for fills drawn over data. */
export function withAlpha(colour: string, alpha: number): string {
  const [r, g, b, a] = parseColour(colour);
  return `rgba(${r}, ${g}, ${b}, ${(a * alpha).toFixed(3)})`;
}
