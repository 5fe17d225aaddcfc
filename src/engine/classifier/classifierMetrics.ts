/** Scores of a classifier's predictions against the true classes (pure functions on class ids). */

/** matrix[actual][predicted] = how many examples of class `actual` were predicted as `predicted`. */
export type ConfusionMatrix = number[][];

export interface ClassScores {
  label: string;
  /** Of the examples predicted as this class, the share that were (0 when none were predicted). */
  precision: number;
  /** Of the examples of this class, the share predicted as it (0 when there were none). */
  recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  f1: number;
  /** Examples of this class. */
  support: number;
}

export interface ClassificationReport {
  examples: number;
  accuracy: number;
  /** Unweighted mean F1 over the classes: a rare class counts as much as a common one. */
  macroF1: number;
  classes: ClassScores[];
  confusion: ConfusionMatrix;
}

export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): ConfusionMatrix {
  if (actual.length !== predicted.length) {
    throw new RangeError(`confusionMatrix: ${actual.length} true classes but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (!(a >= 0 && a < classCount && p >= 0 && p < classCount)) throw new RangeError(`confusionMatrix: class id out of range at ${i}`);
    m[a]![p]!++;
  }
  return m;
}

export function accuracy(m: ConfusionMatrix): number {
  let right = 0;
  let total = 0;
  m.forEach((row, a) =>
    row.forEach((n, p) => {
      total += n;
      if (a === p) right += n;
    }),
  );
  return total === 0 ? 0 : right / total;
}

export function classScores(m: ConfusionMatrix, labels: readonly string[]): ClassScores[] {
  return labels.map((label, c) => {
    const tp = m[c]![c]!;
    const support = m[c]!.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((sum, row) => sum + row[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
}

export function classificationReport(
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  labels: readonly string[],
): ClassificationReport {
  const confusion = confusionMatrix(actual, predicted, labels.length);
  const classes = classScores(confusion, labels);
  return {
    examples: actual.length,
    accuracy: accuracy(confusion),
    macroF1: classes.length === 0 ? 0 : classes.reduce((s, c) => s + c.f1, 0) / classes.length,
    classes,
    confusion,
  };
}

/** Index of the largest value (the first on ties). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
