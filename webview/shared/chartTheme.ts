import type { Chart } from 'chart.js';
import type { ThemeColours } from './themeColours';

type ChartClass = typeof Chart;

/** Makes chart.js draw text, grid lines and tooltips in the theme's colours and font. */
export function applyChartTheme(chart: ChartClass, theme: ThemeColours): void {
  chart.defaults.color = theme.foreground;
  chart.defaults.borderColor = theme.grid;
  chart.defaults.font.family = theme.fontFamily;
  chart.defaults.font.size = Math.max(11, theme.fontSize - 1);
}

/** Re-applies the theme to charts that already exist (their scales copied the old defaults). */
export function restyleChart(instance: Chart, theme: ThemeColours): void {
  for (const scale of Object.values(instance.options.scales ?? {})) {
    if (!scale) continue;
    if (scale.ticks) scale.ticks.color = theme.foreground;
    if (scale.grid) scale.grid.color = theme.grid;
    if ('title' in scale && scale.title) scale.title.color = theme.foreground;
    if ('border' in scale && scale.border) scale.border.color = theme.grid;
  }
  const legend = instance.options.plugins?.legend;
  if (legend?.labels) legend.labels.color = theme.foreground;
}

/**
 * Options every line chart of the panels shares: drawn once per update without animation, data
 * given as {x, y} points (no parsing), filling its box, tooltips for the nearest x.
 */
export const LINE_CHART_BASE = {
  animation: false,
  parsing: false,
  normalized: true,
  responsive: true,
  maintainAspectRatio: false,
  interaction: { mode: 'nearest', axis: 'x', intersect: false },
} as const;
