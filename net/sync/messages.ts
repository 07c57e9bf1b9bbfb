import { ByteReader, ByteWriter, DecodeError, MAX_UPDATE_BYTES, RejectCode, fromHex, toHex } from '../../crdt/index.js';
import { FINGERPRINT_BYTES, KEY_INFINITY, type SyncKey } from './key-index.js';

/** Largest sync frame, bytes (length prefix excluded). */
export const SYNC_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Most ranges in one RECONCILE frame. */
export const SYNC_MAX_RANGES = 512;
/** Most ids listed in one range of mode IDS (also the split threshold). */
export const SYNC_MAX_IDS_PER_RANGE = 256;
/** Most ids in one WANT frame. */
export const SYNC_MAX_WANT_PER_FRAME = 8_192;
/** Target payload of one UPDATES frame (a frame may exceed it by one update). */
export const SYNC_UPDATES_FRAME_TARGET_BYTES = 1024 * 1024;
/**
 * Target of a turn's first UPDATES frame; each next frame's target doubles up to
 * SYNC_UPDATES_FRAME_TARGET_BYTES. The receiver starts checking signatures after about 400
 * updates instead of 7 000, so its pipeline of frames fills about half a second sooner.
 */
export const SYNC_UPDATES_FIRST_FRAME_BYTES = 64 * 1024;

export enum FrameType {
  Reconcile = 1,
  Updates = 2,
  Want = 3,
  /** Ends a turn; `more` says whether the sender still expects an answer. */
  TurnEnd = 4,
}

export enum RangeMode {
  Fingerprint = 1,
  Ids = 2,
}

export type Range =
  | { lower: SyncKey; upper: SyncKey; mode: RangeMode.Fingerprint; fingerprint: Uint8Array; count: number }
  | { lower: SyncKey; upper: SyncKey; mode: RangeMode.Ids; ids: string[] };

export type Frame =
  | { type: FrameType.Reconcile; ranges: Range[] }
  | { type: FrameType.Updates; updates: Uint8Array[] }
  | { type: FrameType.Want; ids: string[] }
  | { type: FrameType.TurnEnd; more: boolean };

function writeKey(w: ByteWriter, k: SyncKey): void {
  w.varint(k.height).bytes(fromHex(k.id, 'key.id', 32));
}

function readKey(r: ByteReader): SyncKey {
  const height = r.varint(KEY_INFINITY.height);
  return { height, id: toHex(r.bytes(32)) };
}

function writeIds(w: ByteWriter, ids: readonly string[]): void {
  w.varint(ids.length);
  for (const id of ids) w.bytes(fromHex(id, 'id', 32));
}

function readIds(r: ByteReader, max: number): string[] {
  const n = r.varint(max);
  return Array.from({ length: n }, () => toHex(r.bytes(32)));
}

export function encodeFrame(f: Frame): Uint8Array {
  const w = new ByteWriter(256);
  w.u8(f.type);
  switch (f.type) {
    case FrameType.Reconcile:
      w.varint(f.ranges.length);
      for (const r of f.ranges) {
        writeKey(w, r.lower);
        writeKey(w, r.upper);
        w.u8(r.mode);
        if (r.mode === RangeMode.Fingerprint) w.bytes(r.fingerprint).varint(r.count);
        else writeIds(w, r.ids);
      }
      break;
    case FrameType.Updates:
      w.varint(f.updates.length);
      for (const u of f.updates) w.varint(u.length).bytes(u);
      break;
    case FrameType.Want:
      writeIds(w, f.ids);
      break;
    case FrameType.TurnEnd:
      w.u8(f.more ? 1 : 0);
      break;
  }
  return w.finish();
}

/** Strict decode of one frame; throws DecodeError(bad-encoding) on anything malformed or over a bound. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length > SYNC_MAX_FRAME_BYTES) throw new DecodeError(RejectCode.TooLarge, `sync frame of ${bytes.length} bytes`);
  const r = new ByteReader(bytes);
  const type = r.u8();
  let f: Frame;
  switch (type) {
    case FrameType.Reconcile: {
      const n = r.varint(SYNC_MAX_RANGES);
      const ranges: Range[] = [];
      for (let i = 0; i < n; i++) {
        const lower = readKey(r);
        const upper = readKey(r);
        const mode = r.u8();
        if (mode === RangeMode.Fingerprint) ranges.push({ lower, upper, mode, fingerprint: new Uint8Array(r.bytes(FINGERPRINT_BYTES)), count: r.varint() });
        else if (mode === RangeMode.Ids) ranges.push({ lower, upper, mode, ids: readIds(r, SYNC_MAX_IDS_PER_RANGE) });
        else throw r.fail(`unknown range mode ${mode}`);
      }
      f = { type, ranges };
      break;
    }
    case FrameType.Updates: {
      const n = r.varint(SYNC_MAX_FRAME_BYTES);
      const updates: Uint8Array[] = [];
      for (let i = 0; i < n; i++) updates.push(r.bytes(r.varint(MAX_UPDATE_BYTES)));
      f = { type, updates };
      break;
    }
    case FrameType.Want:
      f = { type, ids: readIds(r, SYNC_MAX_WANT_PER_FRAME) };
      break;
    case FrameType.TurnEnd: {
      const more = r.u8();
      if (more > 1) throw r.fail('turn-end flag must be 0 or 1');
      f = { type, more: more === 1 };
      break;
    }
    default:
      throw r.fail(`unknown sync frame type ${type}`);
  }
  r.finish();
  return f;
}
