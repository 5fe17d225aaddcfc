/**
 * Row-major Float32Array matrices for the hand-written training pass: row orders, transpose, row
 * lookups and their scatter-add gradients. The model's public layout is batch-major (row
 * b·steps + t); the pass works time-major (row t·batch + b) so that every step's rows are one
 * contiguous block, readable as a subarray without copying.
 */

/** `values` [batch·steps] reordered from row b·steps + t to row t·batch + b. */
export function toTimeMajor(values: Int32Array, batch: number, steps: number): Int32Array {
  const out = new Int32Array(values.length);
  for (let b = 0; b < batch; b++) for (let t = 0; t < steps; t++) out[t * batch + b] = values[b * steps + t]!;
  return out;
}

/** Rows of a [batch·steps, width] matrix reordered from b·steps + t to t·batch + b. */
export function rowsToTimeMajor(values: Float32Array, batch: number, steps: number, width: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) out.set(values.subarray((b * steps + t) * width, (b * steps + t + 1) * width), (t * batch + b) * width);
  }
  return out;
}

/** [rows, columns] → [columns, rows]; blocked so both sides stay in cache. */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  const block = 32;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < columns; c0 += block) {
      const c1 = Math.min(columns, c0 + block);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = values[r * columns + c]!;
    }
  }
  return out;
}

/** Σ over the rows of a [rows, columns] matrix (a bias gradient), accumulated in doubles. */
export function columnSums(values: Float32Array, rows: number, columns: number): Float32Array {
  const sums = new Float64Array(columns);
  for (let r = 0; r < rows; r++) for (let c = 0, k = r * columns; c < columns; c++, k++) sums[c]! += values[k]!;
  return Float32Array.from(sums);
}

/**
 * out[ids[n]] += rows[n] for a [tableRows, width] table: the gradient of a row lookup (one-hot
 * input kernels, embeddings), as one pass instead of a one-hot matrix product.
 */
export function scatterAddRows(rows: Float32Array, ids: Int32Array, tableRows: number, width: number): Float32Array {
  const out = new Float32Array(tableRows * width);
  for (let n = 0; n < ids.length; n++) {
    const dst = ids[n]! * width;
    const src = n * width;
    for (let j = 0; j < width; j++) out[dst + j]! += rows[src + j]!;
  }
  return out;
}

/**
 * table[ids[n]] (+ bias) for a [tableRows, width] table: a row lookup in plain JavaScript, because
 * the wasm backend's gather moves one element at a time (0.25 s for 2,048 rows of 1,024 on the
 * busy 2-core development machine) where a row copy is a memcpy.
 */
export function lookupRows(table: Float32Array, ids: Int32Array, width: number, bias?: Float32Array): Float32Array {
  const out = new Float32Array(ids.length * width);
  for (let n = 0; n < ids.length; n++) {
    const src = ids[n]! * width;
    if (src < 0 || src + width > table.length) throw new RangeError(`lookupRows: id ${ids[n]} is outside the table`);
    out.set(table.subarray(src, src + width), n * width);
    if (bias) for (let j = 0, k = n * width; j < width; j++, k++) out[k]! += bias[j]!;
  }
  return out;
}
