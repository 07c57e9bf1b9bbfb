import { MAX_VARINT, MAX_VARINT_BYTES } from './limits.js';
import { badEncoding, DecodeError, MurmurArgumentError } from './errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/**
 * Strict reader for murmur's canonical encoding. Every read fails with a DecodeError (never returns
 * garbage), so a decoder written with it accepts only bytes that its encoder would produce.
 * `makeError` lets payload decoders report their own reject code.
 */
export class ByteReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    private readonly makeError: (m: string) => DecodeError = badEncoding,
  ) {
    this.pos = start;
  }

  fail(message: string): DecodeError {
    return this.makeError(`${message} (at byte ${this.pos})`);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw this.fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }

  i8(): number {
    const b = this.u8();
    return b >= 128 ? b - 256 : b;
  }

  /** Unsigned LEB128, minimal form, at most MAX_VARINT. */
  varint(max = MAX_VARINT): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw this.fail('varint is not minimal');
        if (value > max) throw this.fail(`varint ${value} exceeds ${max}`);
        return value;
      }
      scale *= 128;
    }
    throw this.fail('varint longer than 8 bytes');
  }

  /** Zigzag-encoded signed integer; |value| <= 2^52 - 1. */
  zigzag(): number {
    const z = this.varint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw this.fail(`need ${n} bytes, ${this.remaining} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** varint length then UTF-8 bytes; length bounded by maxBytes. */
  string(maxBytes: number): string {
    const n = this.varint(maxBytes);
    const raw = this.bytes(n);
    try {
      return UTF8.decode(raw);
    } catch {
      throw this.fail('string is not valid UTF-8');
    }
  }

  /** Throws unless every byte was consumed. */
  finish(): void {
    if (this.pos !== this.end) throw this.fail(`${this.end - this.pos} trailing bytes`);
  }
}

/** Growable writer producing the canonical encoding. */
export class ByteWriter {
  private buf: Uint8Array;
  length = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  i8(v: number): this {
    return this.u8(v < 0 ? v + 256 : v);
  }

  varint(v: number, field = 'varint'): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new MurmurArgumentError(field, 'a safe non-negative integer');
    this.reserve(MAX_VARINT_BYTES);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
    return this;
  }

  zigzag(v: number, field = 'zigzag'): this {
    if (!Number.isSafeInteger(v) || Math.abs(v) > 2 ** 52 - 1) {
      throw new MurmurArgumentError(field, 'an integer with |v| <= 2^52 - 1');
    }
    return this.varint(v >= 0 ? v * 2 : -v * 2 - 1, field);
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  string(s: string): this {
    const raw = UTF8_ENCODER.encode(s);
    return this.varint(raw.length).bytes(raw);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Lexicographic byte comparison. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Unsigned byte order of a[x..x+len) against b[y..y+len), without allocating (hot loops over columns). */
export function compareSpans(a: Uint8Array, x: number, b: Uint8Array, y: number, len: number): number {
  for (let k = 0; k < len; k++) {
    const d = a[x + k]! - b[y + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Hex of each of several equal-length arrays; one conversion when they lie back to back (deps on the wire). */
export function toHexEach(parts: readonly Uint8Array[]): string[] {
  const n = parts.length;
  if (n < 2) return parts.map(toHex);
  const first = parts[0]!;
  const len = first.byteLength;
  for (let i = 1; i < n; i++) {
    const p = parts[i]!;
    if (p.buffer !== first.buffer || p.byteLength !== len || p.byteOffset !== first.byteOffset + i * len) return parts.map(toHex);
  }
  const all = Buffer.from(first.buffer, first.byteOffset, len * n).toString('hex');
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = all.slice(i * 2 * len, (i + 1) * 2 * len);
  return out;
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
export function fromHex(hex: string, field = 'hex', length?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex) || (length !== undefined && hex.length !== length * 2)) {
    throw new MurmurArgumentError(field, length === undefined ? 'lowercase hex' : `${length} bytes of lowercase hex`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
