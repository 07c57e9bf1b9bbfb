import { ByteWriter, compareBytes, fromHex, toHex } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import { HASH_BYTES } from '../hash.js';
import type { OpKind } from './registry.js';
import { payloadReader, readIdent, writeIdent } from './fields.js';
import { MAX_SECAGG_MEMBERS, MAX_SECAGG_NEIGHBOURS, readConfig, writeConfig, type SecAggConfig } from './secagg-config.js';
import type { ByteReader } from '../bytes.js';

export * from './secagg-config.js';

export const KIND_SECAGG = 5;
export const X25519_KEY_BYTES = 32;
/** A Shamir share of a 32-byte secret (GF(2^8), byte-wise). */
export const SECAGG_SHARE_BYTES = 32;
/** AES-256-GCM of a holder's two shares (self-mask seed, mask key) and its 16-byte tag. */
export const SECAGG_CIPHERTEXT_BYTES = 2 * SECAGG_SHARE_BYTES + 16;
/** Most coordinates one masked slice carries (4 bytes each, inside MAX_UPDATE_BYTES). */
export const MAX_SECAGG_SLICE = 2 ** 18 - 1024;

/** The stages of a round, one op type each (docs/PROTOCOL.md §4, kind 5). */
export enum SecAggType {
  Keys = 0,
  Roster = 1,
  Shares = 2,
  Masked = 3,
  Close = 4,
  Reveal = 5,
}

/** Which secret a revealed share is of. */
export enum ShareOf {
  /** The self-mask seed b: revealed for a survivor. */
  SelfMask = 0,
  /** The X25519 mask key: revealed for a member that dropped. */
  MaskKey = 1,
}

interface Base {
  readonly stream: string;
  readonly round: number;
}

/** Stage 0: a member's two X25519 public keys, and the config it joins under. */
export interface SecAggKeys extends Base {
  readonly type: SecAggType.Keys;
  readonly config: SecAggConfig;
  /** Encrypts the shares sent to this member. */
  readonly encPk: Uint8Array;
  /** Agrees the pairwise masks with this member's neighbours. */
  readonly maskPk: Uint8Array;
}

/** Stage 1, by the coordinator: the members, as the update ids of their keys ops (ascending; a member's index is its position). */
export interface SecAggRoster extends Base {
  readonly type: SecAggType.Roster;
  readonly members: readonly string[];
}

export interface ShareEntry {
  /** The holder's member index (a neighbour of the dealer). */
  readonly holder: number;
  readonly ciphertext: Uint8Array;
  /** SHA-256 commitments to the holder's two shares, so a revealed share is checked on its own. */
  readonly selfMaskCommit: Uint8Array;
  readonly maskKeyCommit: Uint8Array;
}

/** Stage 2: a member's shares of its two secrets, one entry per neighbour (ascending holder). */
export interface SecAggShares extends Base {
  readonly type: SecAggType.Shares;
  readonly roster: string;
  /** SHA-256 commitment to the self-mask seed b, checked after reconstruction. */
  readonly seedCommit: Uint8Array;
  readonly entries: readonly ShareEntry[];
}

/** Stage 3: a slice of a member's masked vector, with the neighbours whose pairwise masks it carries. */
export interface SecAggMasked extends Base {
  readonly type: SecAggType.Masked;
  readonly roster: string;
  /** Member indices, ascending: the neighbours whose pairwise masks are added. Every slice of one member names the same set. */
  readonly included: readonly number[];
  readonly offset: number;
  readonly count: number;
  /** `count` little-endian u32: the masked values in Z_2^32. */
  readonly data: Uint8Array;
}

/** Stage 4, by the coordinator: the survivors whose masked vectors are summed (member indices, ascending). */
export interface SecAggClose extends Base {
  readonly type: SecAggType.Close;
  readonly roster: string;
  readonly survivors: readonly number[];
}

export interface RevealEntry {
  readonly dealer: number;
  readonly of: ShareOf;
  readonly share: Uint8Array;
}

/** Stage 5: a member's answer to one close: its shares of its neighbours' secrets, ascending (dealer, of). */
export interface SecAggReveal extends Base {
  readonly type: SecAggType.Reveal;
  readonly roster: string;
  readonly close: string;
  readonly entries: readonly RevealEntry[];
}

export type SecAggOp = SecAggKeys | SecAggRoster | SecAggShares | SecAggMasked | SecAggClose | SecAggReveal;

function readId(r: ByteReader): string {
  return toHex(r.bytes(HASH_BYTES));
}

/** A strictly ascending list of member indices, at most `max`. */
function readIndices(r: ByteReader, max: number, field: string): number[] {
  const n = r.varint(max);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = r.varint(MAX_SECAGG_MEMBERS - 1);
    if (i > 0 && v <= out[i - 1]!) throw r.fail(`${field} must be strictly ascending`);
    out.push(v);
  }
  return out;
}

function writeIndices(w: ByteWriter, xs: readonly number[], field: string, max: number): void {
  if (xs.length > max || xs.some((x, i) => !Number.isInteger(x) || x < 0 || x >= MAX_SECAGG_MEMBERS || (i > 0 && x <= xs[i - 1]!))) {
    throw new MurmurArgumentError(field, `at most ${max} strictly ascending member indices`);
  }
  w.varint(xs.length);
  for (const x of xs) w.varint(x);
}

function decode(payload: Uint8Array): SecAggOp {
  const r = payloadReader(payload);
  const type = r.u8();
  const stream = readIdent(r, 'stream');
  const round = r.varint();
  let op: SecAggOp;
  switch (type) {
    case SecAggType.Keys:
      op = { type, stream, round, config: readConfig(r), encPk: r.bytes(X25519_KEY_BYTES), maskPk: r.bytes(X25519_KEY_BYTES) };
      if (compareBytes(op.encPk, op.maskPk) === 0) throw r.fail('encPk and maskPk must differ');
      break;
    case SecAggType.Roster: {
      const n = r.varint(MAX_SECAGG_MEMBERS);
      if (n < 2) throw r.fail('a roster lists at least 2 members');
      const members: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = readId(r);
        if (i > 0 && id <= members[i - 1]!) throw r.fail('members must be strictly ascending');
        members.push(id);
      }
      op = { type, stream, round, members };
      break;
    }
    case SecAggType.Shares: {
      const roster = readId(r);
      const seedCommit = r.bytes(HASH_BYTES);
      const n = r.varint(MAX_SECAGG_NEIGHBOURS);
      const entries: ShareEntry[] = [];
      for (let i = 0; i < n; i++) {
        const holder = r.varint(MAX_SECAGG_MEMBERS - 1);
        if (i > 0 && holder <= entries[i - 1]!.holder) throw r.fail('share entries must be in strictly ascending holder order');
        entries.push({ holder, ciphertext: r.bytes(SECAGG_CIPHERTEXT_BYTES), selfMaskCommit: r.bytes(HASH_BYTES), maskKeyCommit: r.bytes(HASH_BYTES) });
      }
      op = { type, stream, round, roster, seedCommit, entries };
      break;
    }
    case SecAggType.Masked: {
      const roster = readId(r);
      const included = readIndices(r, MAX_SECAGG_NEIGHBOURS, 'included');
      const offset = r.varint();
      const count = r.varint(MAX_SECAGG_SLICE);
      if (count < 1) throw r.fail('count must be >= 1');
      op = { type, stream, round, roster, included, offset, count, data: r.bytes(count * 4) };
      break;
    }
    case SecAggType.Close:
      op = { type, stream, round, roster: readId(r), survivors: readIndices(r, MAX_SECAGG_MEMBERS, 'survivors') };
      if (op.survivors.length < 2) throw r.fail('a close names at least 2 survivors');
      break;
    case SecAggType.Reveal: {
      const roster = readId(r);
      const close = readId(r);
      const n = r.varint(2 * MAX_SECAGG_NEIGHBOURS);
      const entries: RevealEntry[] = [];
      for (let i = 0; i < n; i++) {
        const dealer = r.varint(MAX_SECAGG_MEMBERS - 1);
        const of = r.u8();
        if (of !== ShareOf.SelfMask && of !== ShareOf.MaskKey) throw r.fail(`unknown share kind ${of}`);
        const prev = entries[i - 1];
        if (prev !== undefined && (dealer < prev.dealer || (dealer === prev.dealer && of <= prev.of))) throw r.fail('reveal entries must be strictly ascending by (dealer, of)');
        entries.push({ dealer, of, share: r.bytes(SECAGG_SHARE_BYTES) });
      }
      op = { type, stream, round, roster, close, entries };
      break;
    }
    default:
      throw r.fail(`unknown secagg op type ${type}`);
  }
  r.finish();
  return op;
}

function encode(op: SecAggOp): Uint8Array {
  const w = new ByteWriter(op.type === SecAggType.Masked ? 64 + op.data.length : 256);
  w.u8(op.type);
  writeIdent(w, op.stream, 'stream');
  w.varint(op.round, 'round');
  const fixed = (b: Uint8Array, n: number, field: string): void => {
    if (!(b instanceof Uint8Array) || b.length !== n) throw new MurmurArgumentError(field, `${n} bytes`);
    w.bytes(b);
  };
  switch (op.type) {
    case SecAggType.Keys:
      writeConfig(w, op.config);
      fixed(op.encPk, X25519_KEY_BYTES, 'encPk');
      fixed(op.maskPk, X25519_KEY_BYTES, 'maskPk');
      break;
    case SecAggType.Roster:
      w.varint(op.members.length);
      for (const m of op.members) fixed(fromHex(m), HASH_BYTES, 'members');
      break;
    case SecAggType.Shares:
      fixed(fromHex(op.roster), HASH_BYTES, 'roster');
      fixed(op.seedCommit, HASH_BYTES, 'seedCommit');
      w.varint(op.entries.length);
      for (const e of op.entries) {
        w.varint(e.holder, 'holder');
        fixed(e.ciphertext, SECAGG_CIPHERTEXT_BYTES, 'ciphertext');
        fixed(e.selfMaskCommit, HASH_BYTES, 'selfMaskCommit');
        fixed(e.maskKeyCommit, HASH_BYTES, 'maskKeyCommit');
      }
      break;
    case SecAggType.Masked:
      fixed(fromHex(op.roster), HASH_BYTES, 'roster');
      writeIndices(w, op.included, 'included', MAX_SECAGG_NEIGHBOURS);
      w.varint(op.offset, 'offset').varint(op.count, 'count');
      fixed(op.data, op.count * 4, 'data');
      break;
    case SecAggType.Close:
      fixed(fromHex(op.roster), HASH_BYTES, 'roster');
      writeIndices(w, op.survivors, 'survivors', MAX_SECAGG_MEMBERS);
      break;
    case SecAggType.Reveal:
      fixed(fromHex(op.roster), HASH_BYTES, 'roster');
      fixed(fromHex(op.close), HASH_BYTES, 'close');
      w.varint(op.entries.length);
      for (const e of op.entries) {
        w.varint(e.dealer, 'dealer').u8(e.of);
        fixed(e.share, SECAGG_SHARE_BYTES, 'share');
      }
      break;
    default:
      throw new MurmurArgumentError('type', 'a SecAggType');
  }
  const bytes = w.finish();
  decode(bytes); // the encoder never emits what the decoder would refuse
  return bytes;
}

export const secaggKind: OpKind<SecAggOp> = { kind: KIND_SECAGG, name: 'secagg', decode, encode };
