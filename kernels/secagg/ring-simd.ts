/**
 * Ring addition in Z_2^32 with WebAssembly SIMD (i32x4.add / i32x4.sub, 4 words an instruction):
 * a JavaScript typed-array loop adds about 0.5 G words/s here, which would cap mask expansion
 * well below the AES-CTR key stream. The module is 120 bytes, assembled below from this text:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "add") (param $dst i32) (param $src i32) (param $n i32)   ;; n: bytes, a multiple of 16
 *       (local $end i32)
 *       (local.set $end (i32.add (local.get $dst) (local.get $n)))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $dst) (local.get $end)))
 *         (v128.store (local.get $dst) (i32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
 *         (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
 *         (local.set $src (i32.add (local.get $src) (i32.const 16)))
 *         (br 0))))
 *     (func (export "sub") ... the same with i32x4.sub))
 */

import { ensureMemory, leb, name, section, WASM, WASM_HEADER, type WasmMemory } from '../wasm.js';

function body(simdOp: number): number[] {
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const code = [
    ...get(0), ...get(2), 0x6a, ...set(3),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(3), 0x4f, 0x0d, 0x01,
    ...get(0), ...get(0), 0xfd, 0x00, 0x04, 0x00, ...get(1), 0xfd, 0x00, 0x04, 0x00, 0xfd, ...leb(simdOp), 0xfd, 0x0b, 0x04, 0x00,
    ...get(0), 0x41, 0x10, 0x6a, ...set(0),
    ...get(1), 0x41, 0x10, 0x6a, ...set(1),
    0x0c, 0x00, 0x0b, 0x0b, 0x0b,
  ];
  const fn = [0x01, 0x01, 0x7f, ...code]; // one local of type i32
  return [...leb(fn.length), ...fn];
}

const I32X4_ADD = 174;
const I32X4_SUB = 177;

const MODULE = new Uint8Array([
  ...WASM_HEADER,
  ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]),
  ...section(3, [0x02, 0x00, 0x00]),
  ...section(5, [0x01, 0x00, 0x01]),
  ...section(7, [0x03, ...name('memory'), 0x02, 0x00, ...name('add'), 0x00, 0x00, ...name('sub'), 0x00, 0x01]),
  ...section(10, [0x02, ...body(I32X4_ADD), ...body(I32X4_SUB)]),
]);

export interface RingSimd {
  readonly memory: WasmMemory;
  add(dst: number, src: number, bytes: number): void;
  sub(dst: number, src: number, bytes: number): void;
}

let instance: RingSimd | null = null;

/** The SIMD ring adder, with at least `bytes` of memory (one instance, grown as needed). */
export function ringSimd(bytes: number): RingSimd {
  if (instance === null) {
    const inst = new WASM.Instance(new WASM.Module(MODULE));
    const e = inst.exports as unknown as RingSimd;
    instance = { memory: e.memory, add: e.add, sub: e.sub };
  }
  ensureMemory(instance.memory, bytes);
  return instance;
}
