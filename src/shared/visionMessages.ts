import { isInt, isStr } from './messageChecks';
import type { FromWebview } from './panelMessages';

/**
 * The messages of the image-model panel. They are kept apart from the analysis panels' protocol
 * (panelMessages) because an image model is not the active text model: the panel has its own
 * model, its own requests and images that cross as Float32Arrays.
 */

/** One picture: row-major pixels, `channels` values per pixel, drawn linearly from range[0] (black) to range[1] (white). */
export interface VisionImage {
  label: string;
  width: number;
  height: number;
  channels: 1 | 3;
  range: [number, number];
  pixels: Float32Array;
}

/** A titled row of pictures: the input, a layer's feature maps, a filter gallery, saliency, fooling. */
export interface VisionSection {
  /** Stable id: a section sent again with the same id replaces the old one in place. */
  id: string;
  title: string;
  /** Figures the user relies on (prediction, steps, L∞, regulariser settings), shown under the title. */
  note?: string;
  images: VisionImage[];
}

/** What the controls offer for the open model. */
export interface VisionModelInfo {
  title: string;
  classes: string[];
  /** Layers whose filters or units can be maximised. */
  layers: { name: string; units: number }[];
  /** Number of MNIST test digits the digit picker can choose from (0 when the model is not for digits). */
  testDigits: number;
}

/** Extension → vision page. */
export type ToVision =
  | { type: 'visionModel'; model: VisionModelInfo }
  | { type: 'visionSection'; section: VisionSection }
  /** What runs (null: nothing), and how far it is when known, from 0 to 1. */
  | { type: 'visionBusy'; message: string | null; fraction?: number }
  | { type: 'error'; message: string };

/** Vision page → extension. */
export type FromVision =
  | Extract<FromWebview, { type: 'ready' | 'export' }>
  | { type: 'visionDigit'; index: number }
  | { type: 'visionOpenImage' }
  | { type: 'visionMaximize'; layer: string }
  | { type: 'visionFool'; target: number }
  | { type: 'visionInvert'; layer: string }
  | { type: 'visionDream'; layer: string }
  | { type: 'visionCancel' };

const MAX_SIDE = 1024;
const MAX_IMAGES = 1024;

function parseImage(x: unknown): VisionImage | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const m = x as Record<string, unknown>;
  const { width, height, channels, range, pixels } = m;
  if (!isStr(m.label, 200) || !isInt(width, MAX_SIDE + 1) || !isInt(height, MAX_SIDE + 1) || width === 0 || height === 0) return undefined;
  if ((channels !== 1 && channels !== 3) || !(pixels instanceof Float32Array) || pixels.length !== width * height * channels)
    return undefined;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((r) => typeof r === 'number' && Number.isFinite(r))) return undefined;
  return { label: m.label, width, height, channels, range: [range[0] as number, range[1] as number], pixels };
}

/** Checks a message for the page; anything malformed is dropped rather than half drawn. */
export function parseToVision(m: unknown): ToVision | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'visionModel': {
      const model = x.model as Record<string, unknown> | null;
      if (typeof model !== 'object' || model === null || !isStr(model.title, 500) || !isInt(model.testDigits)) return undefined;
      const { classes, layers } = model;
      if (!Array.isArray(classes) || classes.length > 10_000 || !classes.every((c) => isStr(c, 200))) return undefined;
      if (!Array.isArray(layers) || layers.length > 1_000) return undefined;
      const okLayers = layers.every((l: unknown) => {
        const y = l as Record<string, unknown> | null;
        return typeof y === 'object' && y !== null && isStr(y.name, 200) && isInt(y.units);
      });
      if (!okLayers) return undefined;
      return {
        type: 'visionModel',
        model: {
          title: model.title,
          classes: classes as string[],
          layers: (layers as { name: string; units: number }[]).map((l) => ({ name: l.name, units: l.units })),
          testDigits: model.testDigits,
        },
      };
    }
    case 'visionSection': {
      const s = x.section as Record<string, unknown> | null;
      if (typeof s !== 'object' || s === null || !isStr(s.id, 100) || !/^[\w-]+$/.test(s.id) || !isStr(s.title, 500)) return undefined;
      if (s.note !== undefined && !isStr(s.note, 2_000)) return undefined;
      if (!Array.isArray(s.images) || s.images.length > MAX_IMAGES) return undefined;
      const images = s.images.map(parseImage);
      if (images.some((i) => i === undefined)) return undefined;
      return {
        type: 'visionSection',
        section: { id: s.id, title: s.title, ...(s.note !== undefined ? { note: s.note } : {}), images: images as VisionImage[] },
      };
    }
    case 'visionBusy': {
      if (x.message !== null && !isStr(x.message, 500)) return undefined;
      if (x.fraction === undefined) return { type: 'visionBusy', message: x.message };
      const ok = typeof x.fraction === 'number' && x.fraction >= 0 && x.fraction <= 1;
      return ok ? { type: 'visionBusy', message: x.message, fraction: x.fraction as number } : undefined;
    }
    case 'error':
      return isStr(x.message, 5_000) ? { type: 'error', message: x.message } : undefined;
    default:
      return undefined;
  }
}

/** Checks a message from the page; anything malformed (or from a compromised page) is dropped. */
export function parseFromVision(m: unknown): FromVision | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const x = m as Record<string, unknown>;
  switch (x.type) {
    case 'ready':
      return { type: 'ready' };
    case 'visionOpenImage':
      return { type: 'visionOpenImage' };
    case 'visionCancel':
      return { type: 'visionCancel' };
    case 'visionDigit':
      return isInt(x.index) ? { type: 'visionDigit', index: x.index } : undefined;
    case 'visionMaximize':
      return isStr(x.layer, 200) && x.layer.length > 0 ? { type: 'visionMaximize', layer: x.layer } : undefined;
    case 'visionFool':
      return isInt(x.target, 10_000) ? { type: 'visionFool', target: x.target } : undefined;
    case 'visionInvert':
    case 'visionDream':
      return isStr(x.layer, 200) && x.layer.length > 0 ? { type: x.type, layer: x.layer } : undefined;
    case 'export':
      return (x.format === 'png' || x.format === 'csv') && isStr(x.name, 100) && /^[\w .-]+$/.test(x.name) && isStr(x.content, 200_000_000)
        ? { type: 'export', format: x.format, name: x.name, content: x.content }
        : undefined;
    default:
      return undefined;
  }
}
