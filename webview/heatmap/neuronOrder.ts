/**
 * Orders of the heatmap's neuron rows: row r shows neuron order[r]. Ties keep index order so
 * that a sort is stable from one document to the next.
 */

export function indexOrder(units: number): Uint32Array {
  return Uint32Array.from({ length: units }, (_, i) => i);
}

function descending(keys: Float64Array): Uint32Array {
  return indexOrder(keys.length).sort((a, b) => keys[b]! - keys[a]! || a - b);
}

/** Variance over tokens of each neuron (values are tokens × units, row-major). */
export function neuronVariance(values: Float32Array, units: number): Float64Array {
  const tokens = units > 0 ? values.length / units : 0;
  const sum = new Float64Array(units);
  const sq = new Float64Array(units);
  for (let t = 0; t < tokens; t++) {
    const base = t * units;
    for (let n = 0; n < units; n++) {
      const v = values[base + n]!;
      if (!Number.isFinite(v)) continue;
      sum[n]! += v;
      sq[n]! += v * v;
    }
  }
  const variance = new Float64Array(units);
  for (let n = 0; n < units; n++) {
    const mean = tokens ? sum[n]! / tokens : 0;
    variance[n] = tokens ? Math.max(0, sq[n]! / tokens - mean * mean) : 0;
  }
  return variance;
}

/** Most variable neurons first: the ones that do something on this text. */
export function varianceOrder(variance: Float64Array): Uint32Array {
  return descending(variance);
}

/**
 * Neurons farthest from the statistic's neutral score first, whichever the direction: a neuron
 * that falls silent on a feature is as much a hypothesis as one that fires.
 */
export function relevanceOrder(scores: Float32Array, neutral: number): Uint32Array {
  return descending(Float64Array.from(scores, (s) => (Number.isFinite(s) ? Math.abs(s - neutral) : -1)));
}
