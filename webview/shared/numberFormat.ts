/** Short, unambiguous number labels for axes, legends and readouts. */

/** Three significant digits, switching to exponent notation outside [0.001, 10 000). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Cycles per token: three decimals resolve the bins of texts up to a few thousand tokens. */
export function formatFrequency(f: number): string {
  return f.toFixed(3);
}

/** A period in tokens, whole when it is (2, 4, 8…), else to one decimal. */
export function formatPeriod(tokens: number): string {
  if (!Number.isFinite(tokens)) return '∞';
  const rounded = Math.round(tokens);
  return Math.abs(tokens - rounded) < 0.05 ? String(rounded) : tokens.toFixed(1);
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en');
}
