import * as tf from '@tensorflow/tfjs-core';

/**
 * Circularly shifts images [b, h, w, c] by (dy, dx) pixels (positive: down / right), as
 * np.roll does; the jitter regulariser rolls, steps, then rolls back.
 */
export function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    let out: tf.Tensor4D = x;
    if (sy) out = tf.concat([tf.slice(out, [0, h - sy, 0, 0], [-1, sy, -1, -1]), tf.slice(out, [0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
    if (sx) out = tf.concat([tf.slice(out, [0, 0, w - sx, 0], [-1, -1, sx, -1]), tf.slice(out, [0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
    return out === x ? tf.clone(x) : out;
  });
}

/** A normalised 1-D Gaussian of radius ⌈3σ⌉. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return k.map((v) => v / sum);
}

/**
 * Gaussian blur of each channel separately (two 1-D passes), with edge pixels repeated so the
 * border does not darken; the "periodic blur" regulariser of class visualisation.
 */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (sigma <= 0) return tf.clone(x);
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const k = gaussianKernel(sigma);
    const r = (k.length - 1) / 2;
    // Channels become batch entries so one single-channel kernel blurs them all alike.
    let y = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, h, w, 1]) as tf.Tensor4D;
    const edge = (t: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
      const n = t.shape[axis];
      const first = tf.slice(t, axis === 1 ? [0, 0, 0, 0] : [0, 0, 0, 0], axis === 1 ? [-1, 1, -1, -1] : [-1, -1, 1, -1]);
      const last = tf.slice(t, axis === 1 ? [0, n - 1, 0, 0] : [0, 0, n - 1, 0], axis === 1 ? [-1, 1, -1, -1] : [-1, -1, 1, -1]);
      return tf.concat([...Array<tf.Tensor4D>(r).fill(first), t, ...Array<tf.Tensor4D>(r).fill(last)], axis);
    };
    y = tf.conv2d(edge(y, 1), tf.tensor4d(k, [k.length, 1, 1, 1]), 1, 'valid');
    y = tf.conv2d(edge(y, 2), tf.tensor4d(k, [1, k.length, 1, 1]), 1, 'valid');
    return tf.transpose(tf.reshape(y, [b, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

/** Squared total variation: Σ (x[i+1,j] − x[i,j])² + (x[i,j+1] − x[i,j])², over all images and channels. */
export function totalVariation(x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const down = tf.sub(tf.slice(x, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, h - 1, -1, -1]));
    const right = tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, w - 1, -1]));
    return tf.add(tf.sum(tf.square(down)), tf.sum(tf.square(right))) as tf.Scalar;
  });
}
