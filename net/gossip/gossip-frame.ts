import { ByteReader, ByteWriter, DecodeError, MAX_UPDATE_BYTES, RejectCode, sha256 } from '../../crdt/index.js';

/** A gossip message carries 1..GOSSIP_MAX_UPDATES_PER_MESSAGE updates. */
export const GOSSIP_MAX_UPDATES_PER_MESSAGE = 256;
/** Largest gossip message: one maximal update plus framing. */
export const GOSSIP_MAX_MESSAGE_BYTES = MAX_UPDATE_BYTES + 4096;
/** A publisher stops adding updates to a batch past this size. */
export const GOSSIP_BATCH_TARGET_BYTES = 64 * 1024;

const FRAME_VERSION = 1;
const DOMAIN_MESSAGE = Buffer.from('murmur:v2:gossip-message\0', 'latin1');

/** version u8 = 1, varint count, then count x (varint length, update bytes). */
export function encodeGossipFrame(updates: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(updates.reduce((n, u) => n + u.length + 4, 8));
  w.u8(FRAME_VERSION).varint(updates.length);
  for (const u of updates) w.varint(u.length).bytes(u);
  return w.finish();
}

export function decodeGossipFrame(data: Uint8Array): Uint8Array[] {
  if (data.length > GOSSIP_MAX_MESSAGE_BYTES) throw new DecodeError(RejectCode.TooLarge, `gossip message of ${data.length} bytes`);
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== FRAME_VERSION) throw new DecodeError(RejectCode.BadVersion, `gossip frame version ${version}`);
  const n = r.varint(GOSSIP_MAX_UPDATES_PER_MESSAGE);
  if (n === 0) throw r.fail('empty gossip message');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.bytes(r.varint(MAX_UPDATE_BYTES)));
  r.finish();
  return out;
}

/**
 * Gossip message id: SHA-256("murmur:v2:gossip-message\0" || data), one hash over the bytes as
 * received, with no decode. gossipsub computes it for every copy of every message (about 12 per
 * message in a 5-node mesh), so it must be cheap; v1 decoded the frame and hashed each lone
 * update twice. The frame encoding is canonical, so two nodes that publish the same lone update
 * still send the same bytes, and the copies share one id.
 */
export function gossipMessageId(data: Uint8Array): Uint8Array {
  return sha256(DOMAIN_MESSAGE, data);
}
