import { type ThemeColours, readThemeColours } from '../shared/themeColours';

/** The theme as the heatmap's canvases need it: token text in the editor's font, badges in the focus colours. */
export interface HeatmapTheme extends ThemeColours {
  monoFamily: string;
  /** Text on a fill of the focus colour. */
  focusForeground: string;
}

export function readHeatmapTheme(): HeatmapTheme {
  const style = getComputedStyle(document.body);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return {
    ...readThemeColours(),
    monoFamily: read('--vscode-editor-font-family', 'monospace'),
    focusForeground: read('--vscode-button-foreground', '#ffffff'),
  };
}
