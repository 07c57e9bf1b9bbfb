import { compareSpans } from './bytes.js';
import { resized } from './columns.js';
import { HASH_BYTES } from './hash.js';

/** Rows a table starts with; it grows by half (never more than 50% slack). */
const INITIAL_ROWS = 1_024;
const EMPTY = -1;

/** The default slot key: tests and tools get a fixed one, a node passes its own random key (LogOptions.indexKey). */
const DEFAULT_INDEX_KEY: readonly number[] = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];

/**
 * The accepted updates as columns: row r holds the id (32 bytes), height, seq, author number and
 * timestamp of one update. About 52 bytes a row plus an 8-16 byte open-addressing index, against
 * about 600 bytes a row as objects, strings and maps (docs/PERFORMANCE.md, memory).
 *
 * The index slots come from a keyed mix of the id's first 16 bytes. Ids are hashes an author can
 * grind, so with a public slot function an author could make all its ids probe the same cluster
 * and turn every lookup linear; the key (random per node in production) takes that aim away. It
 * never changes what is stored or answered, only where a row is found, so the log stays a pure
 * function of its updates.
 */
export class UpdateTable {
  private n = 0;
  private ids = new Uint8Array(INITIAL_ROWS * HASH_BYTES);
  private heights = new Uint32Array(INITIAL_ROWS);
  private seqs = new Uint32Array(INITIAL_ROWS);
  private authors = new Uint32Array(INITIAL_ROWS);
  private times = new Float64Array(INITIAL_ROWS);
  private slots = new Int32Array(INITIAL_ROWS * 2).fill(EMPTY);
  private readonly key: Uint32Array;

  constructor(indexKey: readonly number[] = DEFAULT_INDEX_KEY) {
    if (indexKey.length !== 4) throw new RangeError('indexKey must be 4 32-bit words');
    this.key = Uint32Array.from(indexKey);
  }

  get size(): number {
    return this.n;
  }

  /** Row of the id given as 32 bytes at `off`, or -1. */
  find(id: Uint8Array, off = 0): number {
    const mask = this.slots.length - 1;
    for (let s = this.slotOf(id, off) & mask; ; s = (s + 1) & mask) {
      const r = this.slots[s]!;
      if (r === EMPTY) return -1;
      if (this.idEquals(r, id, off)) return r;
    }
  }

  /** Row of a hex id, or -1 (anything that is not 64 hex digits is simply not found). */
  findHex(id: string): number {
    if (id.length !== 2 * HASH_BYTES) return -1;
    const b = Buffer.from(id, 'hex');
    return b.length === HASH_BYTES ? this.find(b) : -1;
  }

  /** Appends a row (the caller has checked the id is new); returns its number. */
  add(id: Uint8Array, height: number, seq: number, author: number, timestampMs: number): number {
    if (this.n === this.heights.length) this.grow();
    const r = this.n++;
    this.ids.set(id.subarray(0, HASH_BYTES), r * HASH_BYTES);
    this.heights[r] = height;
    this.seqs[r] = seq;
    this.authors[r] = author;
    this.times[r] = timestampMs;
    this.place(r);
    return r;
  }

  height(r: number): number {
    return this.heights[r]!;
  }

  seq(r: number): number {
    return this.seqs[r]!;
  }

  author(r: number): number {
    return this.authors[r]!;
  }

  timestampMs(r: number): number {
    return this.times[r]!;
  }

  /** The id's bytes (a view: copy it to keep it). */
  idBytes(r: number): Uint8Array {
    return this.ids.subarray(r * HASH_BYTES, (r + 1) * HASH_BYTES);
  }

  idHex(r: number): string {
    return Buffer.from(this.ids.buffer, this.ids.byteOffset + r * HASH_BYTES, HASH_BYTES).toString('hex');
  }

  /** Compares two rows' ids as unsigned bytes (the order of their hex strings). */
  compareIds(a: number, b: number): number {
    return compareSpans(this.ids, a * HASH_BYTES, this.ids, b * HASH_BYTES, HASH_BYTES);
  }

  private idEquals(r: number, id: Uint8Array, off: number): boolean {
    const ids = this.ids;
    const base = r * HASH_BYTES;
    for (let k = 0; k < HASH_BYTES; k++) if (ids[base + k] !== id[off + k]) return false;
    return true;
  }

  private slotOf(id: Uint8Array, off: number): number {
    let h = 0;
    for (let w = 0; w < 4; w++) {
      const o = off + 4 * w;
      const word = ((id[o]! << 24) | (id[o + 1]! << 16) | (id[o + 2]! << 8) | id[o + 3]!) ^ this.key[w]!;
      h = Math.imul(h ^ word, 0x9e3779b1);
      h ^= h >>> 15;
    }
    return Math.imul(h, 0x85ebca6b) ^ (h >>> 13);
  }

  private place(r: number): void {
    const mask = this.slots.length - 1;
    let s = this.slotOf(this.ids, r * HASH_BYTES) & mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
    this.slots[s] = r;
  }

  /** Gives back the growth slack beyond an eighth (after a replay, whose final size was unknown). */
  trimToSize(): void {
    const rows = Math.max(INITIAL_ROWS, this.n + (this.n >> 3));
    if (rows >= this.heights.length) return;
    this.resizeRows(rows);
  }

  private grow(): void {
    this.resizeRows(Math.ceil(this.heights.length * 1.5));
  }

  private resizeRows(rows: number): void {
    this.ids = resized(this.ids, rows * HASH_BYTES);
    this.heights = resized(this.heights, rows);
    this.seqs = resized(this.seqs, rows);
    this.authors = resized(this.authors, rows);
    this.times = resized(this.times, rows);
    // Load stays at or under one half: linear probing's expected probes stay near 1.5.
    let size = INITIAL_ROWS * 2;
    while (size < rows * 2) size *= 2;
    if (size !== this.slots.length) {
      this.slots = new Int32Array(size).fill(EMPTY);
      for (let r = 0; r < this.n; r++) this.place(r);
    }
  }
}
