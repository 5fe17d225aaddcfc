import type {
  ImageActivationsResult,
  ImageDreamResult,
  ImageFoolResult,
  ImageInputData,
  ImageInvertResult,
  ImageLayerResult,
  ImageMaximizeResult,
  ImageSaliencyResult,
} from '../../engine/vision/imageRequests';
import type { VisionImage, VisionSection } from '../../shared/visionMessages';

/**
 * The image panel's sections from the engine's image results: which pictures go side by side, on
 * which grey scale, and the figures written under them. Pure, so the page only draws.
 */

/** Feature maps shown per conv/pool layer: beyond this the gallery would be unreadably small. */
export const MAX_MAPS_PER_LAYER = 64;

const fmt = (x: number): string => x.toPrecision(3);

const duration = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** A regulariser's weight, or that it is off. */
const weight = (name: string, x: number): string => (x > 0 ? `${name} ${x}` : `${name} off`);

function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  return Number.isFinite(lo) ? [lo, hi > lo ? hi : lo + 1] : [0, 1];
}

function picture(label: string, pixels: Float32Array, [height, width, channels]: number[], range: [number, number]): VisionImage {
  return { label, width: width!, height: height!, channels: channels === 3 ? 3 : 1, range, pixels };
}

function inputPicture(input: ImageInputData): VisionImage {
  return picture(input.label, input.pixels, input.shape, [0, 1]);
}

/** The input, its saliency map beside it, and the prediction. */
export function inputSection(a: ImageActivationsResult, s: ImageSaliencyResult, classes: string[]): VisionSection {
  const [height, width] = a.input.shape;
  const ranked = Array.from(a.probabilities, (p, i) => ({ p, i }))
    .sort((x, y) => y.p - x.p)
    .slice(0, 3);
  const truth = a.input.trueClass === undefined ? '' : ` · true class ${classes[a.input.trueClass]}`;
  return {
    id: 'input',
    title: `${a.input.label}: predicted ${classes[a.predicted]} (p = ${fmt(a.probabilities[a.predicted]!)})${truth}`,
    note: `Top classes: ${ranked.map((r) => `${classes[r.i]} ${fmt(r.p)}`).join(', ')} · saliency of class ${classes[s.classIndex]}: max over channels of |∂ score / ∂ pixel|`,
    images: [inputPicture(a.input), picture(`saliency (${classes[s.classIndex]})`, s.map, [height, width, 1], [0, extent(s.map)[1]])],
  };
}

/** One channel of a [h, w, filters] map. */
function channel(layer: ImageLayerResult, unit: number): Float32Array {
  const [h, w, filters] = layer.shape as [number, number, number];
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) out[p] = layer.values[p * filters + unit]!;
  return out;
}

/** A layer's activations: feature maps as small images on the layer's common scale, a dense layer as one strip. */
export function layerSection(layer: ImageLayerResult): VisionSection {
  const range = extent(layer.values);
  const top = `Most active: ${layer.top.map((u) => `${u.unit} (${fmt(u.mean)})`).join(', ')} · black ${fmt(range[0])}, white ${fmt(range[1])}`;
  if (layer.shape.length === 3) {
    const filters = layer.shape[2]!;
    const shown = Math.min(filters, MAX_MAPS_PER_LAYER);
    return {
      id: `layer-${layer.name}`,
      title: `${layer.name} (${layer.kind}, ${layer.shape.join('×')})`,
      note: `${top}${shown < filters ? ` · first ${shown} of ${filters} maps` : ''}`,
      images: Array.from({ length: shown }, (_, f) =>
        picture(`${layer.name} filter ${f}`, channel(layer, f), [layer.shape[0]!, layer.shape[1]!, 1], range),
      ),
    };
  }
  return {
    id: `layer-${layer.name}`,
    title: `${layer.name} (${layer.kind}, ${layer.shape[0]} units)`,
    note: top,
    images: [picture(`${layer.name} units`, layer.values, [1, layer.shape[0]!, 1], range)],
  };
}

/** A gallery of maximised units with the regulariser settings that made it. */
export function gallerySection(r: ImageMaximizeResult): VisionSection {
  const size = r.shape[0] * r.shape[1] * r.shape[2];
  const s = r.settings;
  const on = (x: number, text: string): string => (x > 0 ? text : `${text.split(' ')[0]} off`);
  return {
    id: 'gallery',
    title: `Filters of ${r.layer}, maximised from noise${r.cancelled ? ' (cancelled)' : ''}`,
    note: [
      `${s.steps} steps × ${s.octaves} octave(s), learning rate ${s.learningRate}`,
      on(s.l2Decay, `L2 decay ${s.l2Decay}`),
      on(s.jitter, `jitter ${s.jitter} px`),
      on(s.blurEvery, `blur σ ${s.blurSigma} every ${s.blurEvery} steps`),
      `seed ${s.seed}`,
    ].join(' · '),
    images: r.units.map((u, i) =>
      picture(`${r.layer} ${u.unit}: ${fmt(u.finalValue)}`, r.images.slice(i * size, (i + 1) * size), r.shape, s.range),
    ),
  };
}

/** Original | fooling image | difference magnified (grey is no change). */
export function foolingSection(r: ImageFoolResult, classes: string[]): VisionSection {
  const m = r.linf > 0 ? r.linf : 1;
  const verdict = r.fooled
    ? `taken for ${classes[r.targetClass]} after ${r.steps} steps`
    : `not fooled after ${r.steps} steps (predicted ${classes[r.predicted]})`;
  return {
    id: 'fooling',
    title: `Fooling image: ${classes[r.originalClass]} → ${classes[r.targetClass]}`,
    note: `${verdict} · p(target) = ${fmt(r.targetProbability)} · L∞ = ${fmt(r.linf)} · RMS = ${fmt(r.l2)} · ${r.settings.step} steps of ${r.settings.learningRate}; difference magnified to ±${fmt(m)}`,
    images: [
      inputPicture(r.input),
      picture('fooling image', r.image, r.input.shape, [0, 1]),
      picture('difference', r.difference, r.input.shape, [-m, m]),
    ],
  };
}

/** How far a stepwise run got, for a title: nothing when it finished. */
function stopped(r: { cancelled: boolean; steps: number; settings: { steps: number } }): string {
  return r.cancelled ? ` (cancelled after ${r.steps} of ${r.settings.steps} steps)` : '';
}

/** Original | reconstruction from noise, with how well the features match and the settings that made it. */
export function inversionSection(r: ImageInvertResult): VisionSection {
  const s = r.settings;
  return {
    id: 'inversion',
    title: `Feature inversion of ${r.layer}${stopped(r)}`,
    note: [
      `relative error ${fmt(r.initialRelativeError)} (noise) → ${fmt(r.finalRelativeError)}`,
      `‖φ(x) − φ(x₀)‖ = ${fmt(r.distance)} of ‖φ(x₀)‖ = ${fmt(r.featureNorm)}`,
      `${r.steps} Adam steps, learning rate ${s.learningRate}`,
      weight('L2', s.l2),
      weight('TV', s.tv),
      `noise ${s.noise}, seed ${s.seed}`,
      duration(r.elapsedMs),
    ].join(' · '),
    images: [inputPicture(r.input), picture(`reconstruction from ${r.layer}`, r.image, r.input.shape, s.range)],
  };
}

/** Original | dreamed, with how much the layer's activation grew and the settings. */
export function dreamSection(r: ImageDreamResult): VisionSection {
  const s = r.settings;
  return {
    id: 'dream',
    title: `DeepDream at ${r.layer}${stopped(r)}`,
    note: [
      `½‖${r.layer}‖² ${fmt(r.initialObjective)} → ${fmt(r.finalObjective)}`,
      `${r.steps} steps of ${s.learningRate}`,
      s.jitter > 0 ? `jitter ${s.jitter} px` : 'jitter off',
      `seed ${s.seed}`,
      duration(r.elapsedMs),
    ].join(' · '),
    images: [inputPicture(r.input), picture(`dream at ${r.layer}`, r.image, r.input.shape, s.range)],
  };
}
