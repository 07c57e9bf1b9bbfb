import * as zlib from 'node:zlib';
import { check, KernelErrorCode } from './errors.js';

/** Lossless codec tag, the first byte of a compressed frame. */
export enum Codec {
  Zstd = 1,
  DeflateRaw = 2,
}

/** Largest decompressed size accepted (a hostile frame cannot inflate past it). */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

type ZstdFns = { compress: (b: Uint8Array) => Buffer; decompress: (b: Uint8Array, max: number) => Buffer };
const z = zlib as unknown as { zstdCompressSync?: (b: Uint8Array, o?: object) => Buffer; zstdDecompressSync?: (b: Uint8Array, o?: object) => Buffer };
const zstd: ZstdFns | null =
  typeof z.zstdCompressSync === 'function' && typeof z.zstdDecompressSync === 'function'
    ? {
        compress: (b) => z.zstdCompressSync!(b),
        decompress: (b, max) => z.zstdDecompressSync!(b, { maxOutputLength: max }),
      }
    : null;

/** zstd where the runtime has it (Node >= 22.15), raw deflate otherwise; tagged either way. */
export function compress(bytes: Uint8Array, codec: Codec = zstd !== null ? Codec.Zstd : Codec.DeflateRaw): Uint8Array {
  const body = codec === Codec.Zstd && zstd !== null ? zstd.compress(bytes) : zlib.deflateRawSync(bytes, { level: 9 });
  const out = new Uint8Array(body.length + 1);
  out[0] = codec === Codec.Zstd && zstd !== null ? Codec.Zstd : Codec.DeflateRaw;
  out.set(body, 1);
  return out;
}

export function decompress(frame: Uint8Array, maxBytes = MAX_DECOMPRESSED_BYTES): Uint8Array {
  check(frame.length >= 1, KernelErrorCode.BadShape, 'frame', 'empty');
  const body = frame.subarray(1);
  try {
    if (frame[0] === Codec.Zstd) {
      check(zstd !== null, KernelErrorCode.BadParameter, 'frame.codec', 'zstd is not available in this runtime');
      return new Uint8Array(zstd.decompress(body, maxBytes));
    }
    check(frame[0] === Codec.DeflateRaw, KernelErrorCode.BadParameter, 'frame.codec', `unknown codec ${frame[0]}`);
    return new Uint8Array(zlib.inflateRawSync(body, { maxOutputLength: maxBytes }));
  } catch (err) {
    if (err instanceof Error && err.name === 'KernelError') throw err;
    check(false, KernelErrorCode.BadShape, 'frame', `does not decompress within ${maxBytes} bytes: ${String(err)}`);
  }
}
