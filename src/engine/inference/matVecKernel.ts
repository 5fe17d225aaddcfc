/**
 * out = bias + x·W, the hot loop of the array runner, as a WebAssembly SIMD (f32x4) function
 * assembled here from bytes (the project has no wasm toolchain), with a plain-JavaScript twin for
 * engines that lack wasm SIMD.
 *
 * W is stored in column panels of PANEL floats: panel p holds columns [PANEL·p, PANEL·p + PANEL)
 * of every row, row after row, and the panels follow each other. The kernel therefore reads W
 * strictly sequentially (one stream the prefetcher follows) and keeps a panel's sums in four
 * v128 registers for the whole column, so the inner loop has no accumulator loads or stores.
 *
 * Both versions round like IEEE float32 after every multiply and every add, in the same order
 * (bias + (x0·W0 + x1·W1) + (x2·W2 + x3·W3) + ... + x_last·W_last for an odd count), so they
 * return the same bits.
 */

/**
 * Columns per panel: four f32x4 accumulators. Eight (to hide the add latency) made V8 spill two of
 * them to the stack inside the loop and were no faster; rows are paired instead, see below.
 */
export const PANEL = 16;

/** Rounds a column count up to whole panels. */
export function padToPanel(columns: number): number {
  return Math.ceil(columns / PANEL) * PANEL;
}

export interface MatVecKernel {
  /** Whether the WebAssembly SIMD function runs (false: the JavaScript twin). */
  readonly simd: boolean;
  /**
   * All of the kernel's memory as floats; every address below is an index into it. It never
   * grows, so views into it stay valid for the kernel's life.
   */
  readonly heap: Float32Array;
  /**
   * out[j] = bias[j] + Σ_k x[k]·W[k][j] for j < PANEL·panels, with W in panel order at `w`
   * (see packPanels) and `rows` ≥ 1 rows. `out` may be `bias` (accumulate in place); otherwise it
   * must not overlap x, W or bias. All addresses must be multiples of 4 floats (16 bytes), except x.
   */
  matVec(x: number, rows: number, w: number, panels: number, bias: number, out: number): void;
}

/**
 * Writes M[k][j] = src[k·srcColumns + sourceColumn[j]] (0 where sourceColumn[j] < 0), for
 * k < rows and j < sourceColumn.length (a multiple of PANEL), into heap[at ...] in panel order.
 * The column map lets callers pad each gate block separately and split matrices by columns.
 */
export function packPanels(
  heap: Float32Array,
  at: number,
  src: ArrayLike<number>,
  rows: number,
  srcColumns: number,
  sourceColumn: Int32Array,
): void {
  const columns = sourceColumn.length;
  if (columns % PANEL !== 0) throw new RangeError(`packPanels: ${columns} columns is not a multiple of ${PANEL}`);
  let dst = at;
  for (let p = 0; p < columns; p += PANEL) {
    for (let k = 0; k < rows; k++) {
      const row = k * srcColumns;
      for (let j = p; j < p + PANEL; j++) {
        const s = sourceColumn[j]!;
        heap[dst++] = s < 0 ? 0 : src[row + s]!;
      }
    }
  }
}

/** True when this JavaScript engine can compile the SIMD kernel. */
export function simdSupported(): boolean {
  const wasm = webAssembly();
  return wasm !== undefined && wasm.validate(KERNEL_MODULE);
}

/**
 * A kernel owning `floats` floats of zeroed memory. `simd` forces a version (tests compare
 * them); by default the SIMD one is used where supported.
 */
export function createMatVecKernel(floats: number, simd = simdSupported()): MatVecKernel {
  return simd ? wasmKernel(floats) : new JsKernel(floats);
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly version
// ---------------------------------------------------------------------------------------------

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}

function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;

type WasmMatVec = (x: number, rows: number, w: number, panels: number, bias: number, out: number) => void;

let compiled: object | undefined;

function wasmKernel(floats: number): MatVecKernel {
  const wasm = webAssembly();
  if (!wasm) throw new Error('WebAssembly is not available');
  const pages = Math.max(1, Math.ceil((floats * 4) / PAGE_BYTES));
  if (pages > MAX_PAGES) {
    throw new RangeError(`The model needs ${Math.ceil((floats * 4) / 2 ** 20)} MiB, more than WebAssembly can address`);
  }
  // Synchronous compilation is fine for a module this small (browsers cap it at 4 KiB on the main thread).
  compiled ??= new wasm.Module(KERNEL_MODULE);
  // Sized once, never grown: growing would detach every view the runner holds into the heap.
  const memory = new wasm.Memory({ initial: pages, maximum: pages });
  const instance = new wasm.Instance(compiled, { env: { memory } });
  const fn = instance.exports.matVec as WasmMatVec;
  // Addresses are float indices in JavaScript and byte offsets in wasm. Offsets ≥ 2³¹ wrap to
  // negative int32 on the way in, which wasm reads back as the same unsigned address.
  return {
    simd: true,
    heap: new Float32Array(memory.buffer, 0, floats),
    matVec: (x, rows, w, panels, bias, out) => fn(x * 4, rows, w * 4, panels, bias * 4, out * 4),
  };
}

// A minimal WebAssembly binary writer: just the encodings the kernel uses.
// Spec: https://webassembly.github.io/spec/core/binary/ (SIMD opcodes in the 0xfd space).

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128, for i32.const. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function ascii(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

const I32 = 0x7f;
const V128 = 0x7b;
const EMPTY_BLOCK = 0x40;

const block = [0x02, EMPTY_BLOCK];
const loop = [0x03, EMPTY_BLOCK];
const end = [0x0b];
const brIf = (depth: number) => [0x0d, ...uleb(depth)];
const get = (local: number) => [0x20, ...uleb(local)];
const set = (local: number) => [0x21, ...uleb(local)];
const tee = (local: number) => [0x22, ...uleb(local)];
const i32Const = (value: number) => [0x41, ...sleb(value)];
const i32Eqz = [0x45];
const i32LtU = [0x49];
const i32GeU = [0x4f];
const i32And = [0x71];
const i32Add = [0x6a];
const i32Sub = [0x6b];
const i32Shl = [0x74];

/** memarg: log2 of the alignment hint, then a constant byte offset added to the address. */
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...uleb(opcode), ...immediates.flatMap(uleb)];
const v128Load = (offset: number) => simd(0x00, 4, offset);
const v128Load32Splat = (offset: number) => simd(0x09, 2, offset);
const v128Store = (offset: number) => simd(0x0b, 4, offset);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);

// Locals: the six parameters, then the kernel's own.
const [X, ROWS, W, PANELS, BIAS, OUT] = [0, 1, 2, 3, 4, 5];
const [XP, X_END, X_PAIRS_END, S0, S1, A0] = [6, 7, 8, 9, 10, 11]; // then one accumulator per f32x4 of the panel
const ACCUMULATORS = Array.from({ length: PANEL / 4 }, (_, i) => ({ local: A0 + i, offset: 16 * i }));
const PANEL_BYTES = PANEL * 4;

const MAT_VEC_BODY = [
  // Locals after the parameters: xp, xEnd, xPairsEnd (i32); s0, s1 and the accumulators (v128).
  ...[2, 3, I32, 2 + ACCUMULATORS.length, V128],
  // The panel loop is a do-while: return at once when there is nothing to do.
  ...block,
  ...[...get(PANELS), ...i32Eqz, ...brIf(0)],
  ...[...get(X), ...get(ROWS), ...i32Const(2), ...i32Shl, ...i32Add, ...set(X_END)],
  ...[...get(X), ...get(ROWS), ...i32Const(-2), ...i32And, ...i32Const(2), ...i32Shl, ...i32Add, ...set(X_PAIRS_END)],
  ...loop, // over panels; W's pointer runs on from one panel into the next
  ...ACCUMULATORS.flatMap((a) => [...get(BIAS), ...v128Load(a.offset), ...set(a.local)]),
  ...[...get(X), ...set(XP)],
  ...block,
  ...[...get(XP), ...get(X_PAIRS_END), ...i32GeU, ...brIf(0)],
  // Rows two at a time: a += (s0·W[k] + s1·W[k+1]), so each accumulator waits on one dependent add
  // per two rows instead of one per row: 10–15% faster while W fits in the L2 cache. (A 256-unit
  // LSTM's 1 MiB U does not; its product is bound by reading W, about 50 GB/s here.)
  ...loop,
  ...[...get(XP), ...v128Load32Splat(0), ...set(S0)],
  ...[...get(XP), ...v128Load32Splat(4), ...set(S1)],
  ...ACCUMULATORS.flatMap((a) => [
    ...get(a.local),
    ...[...get(S0), ...get(W), ...v128Load(a.offset), ...f32x4Mul],
    ...[...get(S1), ...get(W), ...v128Load(PANEL_BYTES + a.offset), ...f32x4Mul],
    ...[...f32x4Add, ...f32x4Add, ...set(a.local)],
  ]),
  ...[...get(W), ...i32Const(2 * PANEL_BYTES), ...i32Add, ...set(W)],
  ...[...get(XP), ...i32Const(8), ...i32Add, ...tee(XP), ...get(X_PAIRS_END), ...i32LtU, ...brIf(0)],
  ...end,
  ...end,
  // The last row of an odd count: a += s0·W[k].
  ...block,
  ...[...get(XP), ...get(X_END), ...i32GeU, ...brIf(0)],
  ...[...get(XP), ...v128Load32Splat(0), ...set(S0)],
  ...ACCUMULATORS.flatMap((a) => [
    ...get(a.local),
    ...[...get(S0), ...get(W), ...v128Load(a.offset), ...f32x4Mul],
    ...f32x4Add,
    ...set(a.local),
  ]),
  ...[...get(W), ...i32Const(PANEL_BYTES), ...i32Add, ...set(W)],
  ...end,
  ...ACCUMULATORS.flatMap((a) => [...get(OUT), ...get(a.local), ...v128Store(a.offset)]),
  ...[...get(BIAS), ...i32Const(PANEL_BYTES), ...i32Add, ...set(BIAS)],
  ...[...get(OUT), ...i32Const(PANEL_BYTES), ...i32Add, ...set(OUT)],
  ...[...get(PANELS), ...i32Const(1), ...i32Sub, ...tee(PANELS), ...brIf(0)],
  ...end,
  ...end,
  ...end, // of the function
];

const KERNEL_MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // one type: (i32 × 6) → ()
  ...section(2, [1, ...ascii('env'), ...ascii('memory'), 0x02, 0x00, 1]), // import env.memory, ≥ 1 page
  ...section(3, [1, 0]), // one function, of type 0
  ...section(7, [1, ...ascii('matVec'), 0x00, 0]), // exported as matVec
  ...section(10, [1, ...uleb(MAT_VEC_BODY.length), ...MAT_VEC_BODY]),
]);

// ---------------------------------------------------------------------------------------------
// The JavaScript twin
// ---------------------------------------------------------------------------------------------

/**
 * Same loop order and float32 rounding as the wasm kernel: products are exact in float64 and
 * Math.fround rounds them; a float64 sum of two float32 values rounded once more to float32 is
 * the float32 sum (float64 has more than 2·24 + 2 bits), so each lane computes the same bits.
 */
class JsKernel implements MatVecKernel {
  readonly simd = false;
  readonly heap: Float32Array;

  constructor(floats: number) {
    this.heap = new Float32Array(floats);
  }

  matVec(x: number, rows: number, w: number, panels: number, bias: number, out: number): void {
    const m = this.heap;
    const pairs = rows >> 1;
    for (let p = 0; p < panels; p++) {
      const base = w + p * rows * PANEL;
      for (let lane = 0; lane < PANEL; lane++) {
        let a = m[bias + p * PANEL + lane]!;
        let at = base + lane;
        for (let k = 0; k < pairs; k++, at += 2 * PANEL) {
          const pair = Math.fround(Math.fround(m[x + 2 * k]! * m[at]!) + Math.fround(m[x + 2 * k + 1]! * m[at + PANEL]!));
          a = Math.fround(a + pair);
        }
        if (rows & 1) a = Math.fround(a + Math.fround(m[x + rows - 1]! * m[at]!));
        m[out + p * PANEL + lane] = a;
      }
    }
  }
}
