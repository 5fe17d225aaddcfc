/**
 * Where models live: the folder a trained model is written to and how the workspace setting
 * `neuronLens.modelPath` names a model (relative to the workspace when inside it, so that the
 * setting survives moving or cloning the workspace).
 */
import * as path from 'node:path';

/** `lstm-char-20251123-085012`: says what the model is and sorts by time. */
export function modelFolderName(cell: string, level: string, date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}-${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
  return `${cell}-${level}-${stamp}`;
}

/** The folder a setting points at: absolute as is, relative to the workspace root, undefined if unusable. */
export function resolveSettingPath(setting: string, workspaceRoot: string | undefined): string | undefined {
  const value = setting.trim();
  if (value === '') return undefined;
  if (path.isAbsolute(value)) return path.normalize(value);
  return workspaceRoot ? path.resolve(workspaceRoot, value) : undefined;
}

/** How to write `dir` into a workspace setting: relative when inside the workspace root. */
export function settingValueFor(dir: string, workspaceRoot: string | undefined): string {
  if (!workspaceRoot) return dir;
  const relative = path.relative(workspaceRoot, dir);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}

/** The models folder: the setting resolved against the workspace, or global storage without a workspace. */
export function modelsFolder(setting: string, workspaceRoot: string | undefined, globalStorage: string): string {
  const value = setting.trim() || '.neuron-lens/models';
  if (path.isAbsolute(value)) return path.normalize(value);
  return workspaceRoot ? path.resolve(workspaceRoot, value) : path.join(globalStorage, 'models');
}

/** Whether two paths name the same folder (after normalising; case-insensitively on Windows and macOS). */
export function isSameFolder(a: string, b: string, platform: NodeJS.Platform = process.platform): boolean {
  const norm = (p: string) => {
    const r = path.resolve(p).replace(/[\\/]+$/, '');
    return platform === 'win32' || platform === 'darwin' ? r.toLowerCase() : r;
  };
  return norm(a) === norm(b);
}
