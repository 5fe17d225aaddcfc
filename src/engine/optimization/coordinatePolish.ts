/**
 * The decoding helpers maximisation and inversion share: the candidate tokens the relaxation
 * weighted most at each position, and the single-token variations one pass of coordinate ascent
 * tries at a position (every start's candidates there, to be scored in one batch).
 */

/** Per row, the ids of the `k` largest values (banned ones, at −1e9, never), largest first. */
export function topRows(values: ArrayLike<number>, rows: number, width: number, k: number): Int32Array[] {
  return Array.from({ length: rows }, (_, r) => {
    const order = Array.from({ length: width }, (_, j) => j).sort((a, b) => values[r * width + b]! - values[r * width + a]!);
    return Int32Array.from(order.slice(0, k).filter((j) => values[r * width + j]! > -1e8));
  });
}

/**
 * Every sequence with its token at `t` replaced by one of its candidates there (`candidates` is
 * per sequence and position, row s·length + t), skipping the token it already has; `owner[k]` is
 * the sequence trial k came from.
 */
export function singleTokenTrials(
  sequences: readonly { ids: readonly number[] }[],
  candidates: readonly Int32Array[],
  length: number,
  t: number,
): { trials: Int32Array[]; owner: number[] } {
  const trials: Int32Array[] = [];
  const owner: number[] = [];
  sequences.forEach((seq, s) => {
    for (const id of candidates[s * length + t]!) {
      if (id === seq.ids[t]) continue;
      const trial = Int32Array.from(seq.ids);
      trial[t] = id;
      trials.push(trial);
      owner.push(s);
    }
  });
  return { trials, owner };
}
