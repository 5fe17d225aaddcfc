import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeuronLensError, throwIfAborted } from '../errors';
import { readImageFile } from './imageDecode';
import type { ImageDataset } from './imageDataset';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
export const MAX_FOLDER_IMAGES = 200_000;
export const MAX_FOLDER_CLASSES = 1000;

export interface ImageFolderOptions {
  height: number;
  width: number;
  channels: 1 | 3;
  signal?: AbortSignal;
  onProgress?: (read: number, total: number) => void;
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NeuronLensError(`Image folder not found: ${dir}`, 'not-found');
    throw new NeuronLensError(`Cannot read the image folder ${dir} (${code ?? (e as Error).message})`);
  }
}

/**
 * A folder with one sub-folder per class (the sub-folder's name is the class), holding PNG or
 * JPEG files; other files are ignored. Classes are sorted by name; each image is converted to
 * the requested channels and resized (area averaging) to height × width.
 */
export function loadImageFolder(dir: string, o: ImageFolderOptions): ImageDataset {
  const classDirs = listDir(dir)
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classDirs.length < 2) throw new NeuronLensError(`${dir} needs at least two sub-folders, one per class (found ${classDirs.length})`);
  if (classDirs.length > MAX_FOLDER_CLASSES)
    throw new NeuronLensError(`${dir} has ${classDirs.length} classes, more than ${MAX_FOLDER_CLASSES}`);
  const files: { file: string; label: number }[] = [];
  classDirs.forEach((name, label) => {
    const images = listDir(path.join(dir, name))
      .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort();
    if (images.length === 0) throw new NeuronLensError(`Class folder ${path.join(dir, name)} has no PNG or JPEG images`);
    for (const f of images) files.push({ file: path.join(dir, name, f), label });
    if (files.length > MAX_FOLDER_IMAGES) throw new NeuronLensError(`${dir} has more than ${MAX_FOLDER_IMAGES} images`);
  });
  const size = o.height * o.width * o.channels;
  const images = new Float32Array(files.length * size);
  const labels = new Int32Array(files.length);
  files.forEach(({ file, label }, i) => {
    throwIfAborted(o.signal, 'Reading images');
    images.set(readImageFile(file, o.height, o.width, o.channels), i * size);
    labels[i] = label;
    o.onProgress?.(i + 1, files.length);
  });
  return { images, labels, count: files.length, height: o.height, width: o.width, channels: o.channels, classes: classDirs, source: dir };
}
