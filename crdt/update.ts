import { ByteReader, ByteWriter, compareBytes, toHex } from './bytes.js';
import { DecodeError, MurmurArgumentError, RejectCode, badEncoding } from './errors.js';
import { DOMAIN_ID, DOMAIN_OPS, DOMAIN_SIGNATURE, HASH_BYTES, sha256One } from './hash.js';
import { MAX_DEPS, MAX_OPS, MAX_UPDATE_BYTES, UPDATE_VERSION } from './limits.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, type Signer } from './ed25519.js';

/** An op as carried on the wire: a kind number and its payload bytes (decoded by the kind registry). */
export interface RawOp {
  readonly kind: number;
  readonly payload: Uint8Array;
}

/** The signed header: everything but the ops, which it commits to through `opsHash`. */
export interface UpdateHeader {
  readonly version: number;
  readonly author: Uint8Array;
  readonly seq: number;
  readonly timestampMs: number;
  /** Strictly ascending, at most MAX_DEPS. */
  readonly deps: readonly Uint8Array[];
}

/** A structurally decoded update. `id` and `header` are derived, never read from the wire. */
export interface DecodedUpdate extends UpdateHeader {
  readonly bytes: Uint8Array;
  readonly ops: readonly RawOp[];
  readonly signature: Uint8Array;
  /** Canonical signed header: wire bytes before the op list, then SHA-256 of the op list. */
  readonly header: Uint8Array;
  /** DOMAIN_SIGNATURE || header: the exact bytes the signature covers. */
  readonly signed: Uint8Array;
  /** Hex of SHA-256(DOMAIN_ID || header || signature). */
  readonly id: string;
}

/** Reads version..deps; returns the header fields. Shared by update and evidence decoding. */
function readHeaderPrefix(r: ByteReader): UpdateHeader {
  const version = r.u8();
  if (version !== UPDATE_VERSION) throw new DecodeError(RejectCode.BadVersion, `unsupported version ${version}`);
  const author = r.bytes(PUBLIC_KEY_BYTES);
  const seq = r.varint();
  if (seq < 1) throw new DecodeError(RejectCode.BadSeq, 'seq must be >= 1');
  const timestampMs = r.varint();
  const depCount = r.varint();
  if (depCount > MAX_DEPS) throw new DecodeError(RejectCode.BadDeps, `${depCount} deps exceed ${MAX_DEPS}`);
  const deps: Uint8Array[] = [];
  for (let i = 0; i < depCount; i++) {
    const dep = r.bytes(HASH_BYTES);
    if (i > 0 && compareBytes(deps[i - 1]!, dep) >= 0) {
      throw new DecodeError(RejectCode.BadDeps, 'deps must be strictly ascending');
    }
    deps.push(dep);
  }
  return { version, author, seq, timestampMs, deps };
}

function idOf(header: Uint8Array, signature: Uint8Array): string {
  const buf = new Uint8Array(DOMAIN_ID.length + header.length + signature.length);
  buf.set(DOMAIN_ID);
  buf.set(header, DOMAIN_ID.length);
  buf.set(signature, DOMAIN_ID.length + header.length);
  return toHex(sha256One(buf));
}

/**
 * DOMAIN_SIGNATURE || wire prefix || SHA-256(DOMAIN_OPS || op list), in one allocation: the bytes
 * an author signs, for an update body whose op list spans [opsStart, opsEnd).
 */
export function buildSigned(body: Uint8Array, opsStart: number, opsEnd: number): Uint8Array {
  const d = DOMAIN_SIGNATURE.length;
  const signed = new Uint8Array(d + opsStart + HASH_BYTES);
  signed.set(DOMAIN_SIGNATURE);
  signed.set(body.subarray(0, opsStart), d);
  const ops = new Uint8Array(DOMAIN_OPS.length + opsEnd - opsStart);
  ops.set(DOMAIN_OPS);
  ops.set(body.subarray(opsStart, opsEnd), DOMAIN_OPS.length);
  signed.set(sha256One(ops), d + opsStart);
  return signed;
}

/**
 * What a signature check needs of an update (its author, the bytes it signed and the signature),
 * and its id, which a verifier worker hands back so the main thread need not hash again.
 */
export interface SignedParts {
  readonly author: Uint8Array;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  readonly id: string;
}

/** A structurally decoded update whose id came from a trusted earlier decode (no header, no signed bytes). */
export type KnownIdUpdate = Omit<DecodedUpdate, 'header' | 'signed'>;

/**
 * Structural decode of an update. Accepts only canonical bytes: minimal varints, sorted deps,
 * no trailing data. Does not verify the signature or decode op payloads (see Log.offer).
 */
export function decodeUpdate(bytes: Uint8Array): DecodedUpdate {
  const { prefix, ops, signature, opsStart, opsEnd } = parse(bytes);
  const signed = buildSigned(bytes, opsStart, opsEnd);
  const header = signed.subarray(DOMAIN_SIGNATURE.length);
  return { ...prefix, bytes, ops, signature, header, signed, id: idOf(header, signature) };
}

/**
 * The same structural decode as decodeUpdate (the same errors) without collecting the ops: for
 * signature checks on worker threads, which also hand the id back.
 */
export function decodeSignedParts(bytes: Uint8Array): SignedParts {
  const { prefix, signature, opsStart, opsEnd } = parse(bytes, false);
  const signed = buildSigned(bytes, opsStart, opsEnd);
  return { author: prefix.author, signed, signature, id: idOf(signed.subarray(DOMAIN_SIGNATURE.length), signature) };
}

/**
 * decodeUpdate for bytes whose id a trusted decode of these exact bytes already computed (a
 * verifier worker's answer): the same structural checks and errors, without the two hashes.
 */
export function decodeWithKnownId(bytes: Uint8Array, id: string): KnownIdUpdate {
  const { prefix, ops, signature } = parse(bytes);
  return { ...prefix, bytes, ops, signature, id };
}

/** The structural decode; `keepOps` false checks the op list the same way but does not collect it. */
function parse(bytes: Uint8Array, keepOps = true): { prefix: UpdateHeader; ops: RawOp[]; signature: Uint8Array; opsStart: number; opsEnd: number } {
  if (bytes.length > MAX_UPDATE_BYTES) {
    throw new DecodeError(RejectCode.TooLarge, `${bytes.length} bytes exceed ${MAX_UPDATE_BYTES}`);
  }
  const r = new ByteReader(bytes);
  const prefix = readHeaderPrefix(r);
  const opsStart = r.pos;
  const opCount = r.varint();
  if (opCount === 0) throw badEncoding('an update carries at least one op');
  if (opCount > MAX_OPS) throw new DecodeError(RejectCode.TooLarge, `${opCount} ops exceed ${MAX_OPS}`);
  const ops: RawOp[] = [];
  for (let i = 0; i < opCount; i++) {
    const kind = r.varint();
    const payload = r.bytes(r.varint(r.remaining));
    if (keepOps) ops.push({ kind, payload });
  }
  const opsEnd = r.pos;
  const signature = r.bytes(SIGNATURE_BYTES);
  r.finish();
  return { prefix, ops, signature, opsStart, opsEnd };
}

/** The deps of accepted (already validated) update bytes, without re-checking the rest. */
export function depsOf(bytes: Uint8Array): Uint8Array[] {
  return readHeaderPrefix(new ByteReader(bytes)).deps.slice();
}

/** A decoded signed header (as carried in equivocation evidence). */
export interface DecodedHeader extends UpdateHeader {
  readonly opsHash: Uint8Array;
}

export function decodeHeader(header: Uint8Array): DecodedHeader {
  const r = new ByteReader(header);
  const prefix = readHeaderPrefix(r);
  const opsHash = r.bytes(HASH_BYTES);
  r.finish();
  return { ...prefix, opsHash };
}

/** The exact bytes an author signs: DOMAIN_SIGNATURE || header. */
export function signingInput(header: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN_SIGNATURE.length + header.length);
  out.set(DOMAIN_SIGNATURE);
  out.set(header, DOMAIN_SIGNATURE.length);
  return out;
}

/** Update id from a signed header and its signature (lets evidence name the updates it covers). */
export function headerId(header: Uint8Array, signature: Uint8Array): string {
  return idOf(header, signature);
}

export interface UpdateFields {
  seq: number;
  timestampMs: number;
  /** Any order; encoded sorted and de-duplicated. */
  deps: readonly Uint8Array[];
  ops: readonly RawOp[];
}

/** Encodes and signs an update. Throws MurmurArgumentError on fields that could not be valid. */
export function encodeUpdate(fields: UpdateFields, signer: Signer): Uint8Array {
  const deps = [...new Map(fields.deps.map((d) => [toHex(d), d])).values()].sort(compareBytes);
  if (deps.length > MAX_DEPS) throw new MurmurArgumentError('deps', `at most ${MAX_DEPS}`);
  if (deps.some((d) => d.length !== HASH_BYTES)) throw new MurmurArgumentError('deps', `${HASH_BYTES}-byte ids`);
  if (fields.ops.length < 1 || fields.ops.length > MAX_OPS) throw new MurmurArgumentError('ops', `1..${MAX_OPS} ops`);
  if (!Number.isSafeInteger(fields.seq) || fields.seq < 1) throw new MurmurArgumentError('seq', 'an integer >= 1');
  const w = new ByteWriter(1024);
  w.u8(UPDATE_VERSION).bytes(signer.publicKey).varint(fields.seq, 'seq').varint(fields.timestampMs, 'timestampMs');
  w.varint(deps.length);
  for (const d of deps) w.bytes(d);
  const opsStart = w.length;
  w.varint(fields.ops.length);
  for (const op of fields.ops) w.varint(op.kind, 'op.kind').varint(op.payload.length).bytes(op.payload);
  const body = w.finish();
  const signature = signer.sign(buildSigned(body, opsStart, body.length));
  const out = new Uint8Array(body.length + SIGNATURE_BYTES);
  out.set(body);
  out.set(signature, body.length);
  if (out.length > MAX_UPDATE_BYTES) throw new MurmurArgumentError('update', `at most ${MAX_UPDATE_BYTES} bytes encoded`);
  return out;
}
