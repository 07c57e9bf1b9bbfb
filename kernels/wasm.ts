/**
 * What the hand-assembled WebAssembly modules of the kernels share: LEB128, sections, names, and
 * the few members of the WebAssembly JS API they use (tsconfig's lib has no WebAssembly types
 * without the DOM). Each module's text is written out beside its bytes, and each has a scalar
 * reference its tests compare it with.
 */

export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
export const name = (s: string): number[] => [s.length, ...Buffer.from(s)];
/** A SIMD instruction: the 0xfd prefix and its opcode as LEB128. */
export const simd = (op: number): number[] => [0xfd, ...leb(op)];
export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
export const WASM_PAGE_BYTES = 65_536;

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
export const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Grows `memory` to at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES) - memory.buffer.byteLength / WASM_PAGE_BYTES;
  if (pages > 0) memory.grow(pages);
}

/**
 * The exports of a module, instantiated once by the caller and kept; null where this runtime
 * cannot compile it (no WebAssembly, or no SIMD): the caller's scalar reference then runs.
 */
export function instantiateOrNull<T>(bytes: Uint8Array): T | null {
  if (WASM === undefined || !WASM.validate(bytes)) return null;
  return new WASM.Instance(new WASM.Module(bytes)).exports as unknown as T;
}
