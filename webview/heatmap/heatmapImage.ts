import { DIVERGING_STEPS } from '../shared/divergingColourMap';

/**
 * The heatmap as images, built once per data, sort or theme change and then only copied (scaled)
 * onto the visible canvas, which is what keeps scrolling and zooming smooth at 10,000 tokens ×
 * 1,024 neurons. Zoomed out below one device pixel per cell, plain down-scaling would drop whole
 * columns, and a neuron's single spike would flicker in and out as the view moves; instead each
 * zoom level 2^kx × 2^ky pools blocks of cells, keeping the value farthest from zero, so a spike
 * stays visible at every zoom. Levels are built on first use and kept.
 */
export interface ImageTile {
  /** First column and row of the level this tile covers. */
  column: number;
  row: number;
  width: number;
  height: number;
  image: OffscreenCanvas;
}

export interface PooledLevel {
  /** Each pixel pools 2^kx tokens × 2^ky neuron rows. */
  kx: number;
  ky: number;
  columns: number;
  rows: number;
  tiles: ImageTile[];
}

// Canvases larger than this on a side fail or fall off the GPU path in Chromium.
const TILE = 4096;

export class HeatmapImage {
  private readonly levels = new Map<string, PooledLevel>();

  /**
   * @param steps tokens × units palette steps, row-major (from quantise)
   * @param order row r shows neuron order[r]
   * @param pixels the palette, indexed by step + DIVERGING_STEPS
   */
  constructor(
    private readonly steps: Int16Array,
    readonly tokens: number,
    readonly units: number,
    private readonly order: Uint32Array,
    private readonly pixels: Uint32Array,
  ) {}

  level(kx: number, ky: number): PooledLevel {
    const key = `${kx},${ky}`;
    let level = this.levels.get(key);
    if (!level) {
      level = this.build(kx, ky);
      this.levels.set(key, level);
    }
    return level;
  }

  private build(kx: number, ky: number): PooledLevel {
    const { tokens, units, steps, order } = this;
    const columns = Math.ceil(tokens / 2 ** kx);
    const rows = Math.ceil(units / 2 ** ky);
    // Pooled steps laid out row-major by level row, so tiles are cut from contiguous runs.
    const pooled = new Int16Array(columns * rows);
    const rowOf = new Uint32Array(units);
    for (let r = 0; r < units; r++) rowOf[order[r]!] = r >> ky;
    for (let t = 0; t < tokens; t++) {
      const base = t * units;
      const column = t >> kx;
      for (let n = 0; n < units; n++) {
        const v = steps[base + n]!;
        const at = rowOf[n]! * columns + column;
        const kept = pooled[at]!;
        if ((v < 0 ? -v : v) > (kept < 0 ? -kept : kept)) pooled[at] = v;
      }
    }
    const tiles: ImageTile[] = [];
    for (let row = 0; row < rows; row += TILE) {
      for (let column = 0; column < columns; column += TILE) {
        const width = Math.min(TILE, columns - column);
        const height = Math.min(TILE, rows - row);
        const data = new ImageData(width, height);
        const out = new Uint32Array(data.data.buffer);
        for (let y = 0; y < height; y++) {
          const from = (row + y) * columns + column;
          const to = y * width;
          for (let x = 0; x < width; x++) out[to + x] = this.pixels[pooled[from + x]! + DIVERGING_STEPS]!;
        }
        const image = new OffscreenCanvas(width, height);
        image.getContext('2d')!.putImageData(data, 0, 0);
        tiles.push({ column, row, width, height, image });
      }
    }
    return { kx, ky, columns, rows, tiles };
  }
}
