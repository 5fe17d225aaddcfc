import type { VisionImage } from '../../src/shared/visionMessages';
import { h } from '../shared/createElement';
import { imageRgba, pixelValueText } from './imagePixels';

/**
 * One image drawn on a canvas at an integer zoom with smoothing off, so every image pixel is a
 * solid block of zoom.x × zoom.y canvas pixels; hovering reports the pixel under the pointer through `onHover`.
 */
export function imageFigure(
  image: VisionImage,
  zoom: { x: number; y: number },
  onHover: (text: string | null) => void,
): { figure: HTMLElement; canvas: HTMLCanvasElement } {
  const source = document.createElement('canvas');
  source.width = image.width;
  source.height = image.height;
  source.getContext('2d')!.putImageData(new ImageData(imageRgba(image), image.width, image.height), 0, 0);

  const canvas = h('canvas', { class: 'image', role: 'img', 'aria-label': image.label, 'data-zoom': zoom.x, 'data-zoom-y': zoom.y });
  canvas.width = image.width * zoom.x;
  canvas.height = image.height * zoom.y;
  canvas.style.width = `${canvas.width}px`;
  canvas.style.height = `${canvas.height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);

  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * image.width);
    const y = Math.floor(((e.clientY - r.top) / r.height) * image.height);
    onHover(x >= 0 && y >= 0 && x < image.width && y < image.height ? pixelValueText(image, x, y) : null);
  });
  canvas.addEventListener('mouseleave', () => onHover(null));
  const figure = h('figure', { class: 'image-figure' }, canvas, h('figcaption', {}, image.label));
  return { figure, canvas };
}
