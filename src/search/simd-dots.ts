/**
 * A tiny WebAssembly SIMD kernel that scores every row of a row-major f32 matrix against a
 * query (f32x4 multiply-add, the four lanes summed per row). The module is assembled here from
 * its opcodes (under 200 bytes), so no build step or binary file is needed. Where WebAssembly
 * SIMD is unavailable, `createDotKernel` returns null and the index scores rows in JavaScript.
 */

// Opcodes (WebAssembly 2.0 core, fixed-width SIMD).
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  f32Store: 0x38,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  f32Add: 0x92,
  simd: 0xfd,
} as const;
const SIMD = {
  load: [0x00],
  const: [0x0c],
  extractLaneF32: [0x1f],
  addF32x4: [0xe4, 0x01],
  mulF32x4: [0xe6, 0x01],
} as const;
const EMPTY = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;

// Locals: params q, data, rows, stride, out; then r, p, qp, end (i32) and acc (v128).
const [Q, DATA, ROWS, STRIDE, OUT, R, P, QP, END, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
}

const get = (i: number) => [OP.localGet, i];
const set = (i: number) => [OP.localSet, i];
// Small non-negative constants only (< 64 fits one signed LEB128 byte).
const i32 = (v: number) => [OP.i32Const, v];
const simd = (op: readonly number[], ...imm: number[]) => [OP.simd, ...op, ...imm];
const memarg = [2, 0]; // alignment hint 2^2 bytes, offset 0

/** `dots(q, data, rows, stride, out)`: out[r] = Σ_j data[r·stride + j] · q[j] for j < stride (stride % 4 = 0). */
function dotsBody(): number[] {
  const lane = (k: number) => [...get(ACC), ...simd(SIMD.extractLaneF32, k)];
  return [
    ...[2, 4, I32, 1, V128], // locals: 4 × i32, 1 × v128
    ...[...get(DATA), ...set(P)],
    ...[OP.block, EMPTY, OP.loop, EMPTY],
    ...[...get(R), ...get(ROWS), OP.i32GeU, OP.brIf, 1],
    ...[...simd(SIMD.const, ...new Array<number>(16).fill(0)), ...set(ACC)],
    ...[...get(Q), ...set(QP)],
    ...[...get(P), ...get(STRIDE), ...i32(4), OP.i32Mul, OP.i32Add, ...set(END)],
    ...[OP.block, EMPTY, OP.loop, EMPTY],
    ...[...get(P), ...get(END), OP.i32GeU, OP.brIf, 1],
    ...get(ACC),
    ...[...get(P), ...simd(SIMD.load, ...memarg)],
    ...[...get(QP), ...simd(SIMD.load, ...memarg)],
    ...[...simd(SIMD.mulF32x4), ...simd(SIMD.addF32x4), ...set(ACC)],
    ...[...get(P), ...i32(16), OP.i32Add, ...set(P)],
    ...[...get(QP), ...i32(16), OP.i32Add, ...set(QP)],
    ...[OP.br, 0, OP.end, OP.end],
    ...[...get(OUT), ...get(R), ...i32(4), OP.i32Mul, OP.i32Add],
    ...[...lane(0), ...lane(1), OP.f32Add, ...lane(2), ...lane(3), OP.f32Add, OP.f32Add],
    ...[OP.f32Store, ...memarg],
    ...[...get(R), ...i32(1), OP.i32Add, ...set(R)],
    ...[OP.br, 0, OP.end, OP.end],
    OP.end,
  ];
}

/** The module's bytes: one exported memory `mem` and one function `dots`. */
export function dotKernelBytes(): Uint8Array<ArrayBuffer> {
  const body = dotsBody();
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('mem'), 0x02, 0, ...name('dots'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** A compiled kernel with its own memory laid out for one matrix. */
export interface DotKernel {
  /** The query slot (`stride` floats); write the query here before `run`. */
  readonly query: Float32Array;
  /** The matrix (`rows × stride` floats, row-major, zero-padded). */
  readonly data: Float32Array;
  /** Scores written by `run`, one per row. */
  readonly scores: Float32Array;
  /** Scores every row against `query`. */
  run(): void;
}

let compiled: WebAssembly.Module | null | undefined;

function compile(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = dotKernelBytes();
    compiled =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
        ? new WebAssembly.Module(bytes)
        : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Allocates a kernel for `rows × stride` floats; null where WebAssembly SIMD is unavailable. */
export function createDotKernel(rows: number, stride: number): DotKernel | null {
  const module = compile();
  if (module === null || stride % 4 !== 0) return null;
  const instance = new WebAssembly.Instance(module, {});
  const memory = instance.exports.mem as WebAssembly.Memory;
  const dots = instance.exports.dots as (
    q: number,
    data: number,
    rows: number,
    stride: number,
    out: number,
  ) => void;
  const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;
  const queryAt = 0;
  const scoresAt = align16(stride * 4);
  const dataAt = scoresAt + align16(rows * 4);
  const needed = dataAt + rows * stride * 4;
  const pages = Math.ceil(needed / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
  const { buffer } = memory;
  return {
    query: new Float32Array(buffer, queryAt, stride),
    scores: new Float32Array(buffer, scoresAt, rows),
    data: new Float32Array(buffer, dataAt, rows * stride),
    run: () => dots(queryAt, dataAt, rows, stride, scoresAt),
  };
}
