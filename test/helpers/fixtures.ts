import { createHash } from 'node:crypto';
import {
  Author,
  ByteWriter,
  KIND_ATTESTATION,
  KIND_AUDIT,
  KIND_DELTA,
  Signer,
  UPDATE_VERSION,
  buildSigned,
  f32Delta,
  type Attestation,
  type AuditEvent,
  type OpInput,
} from '../../crdt/index.js';

/** Deterministic test key number `i`. */
export function signerFor(i: number | string): Signer {
  return new Signer(new Uint8Array(createHash('sha256').update(`murmur-test-key-${i}`).digest()));
}

export function authorFor(i: number | string): Author {
  return new Author(signerFor(i));
}

export function attest(feed: string, mantissa: number, observedAtMs: number, extra: Partial<Attestation> = {}): OpInput {
  const body: Attestation = { feed, exponent: -2, mantissa, confidence: 50, observedAtMs, sources: [], ...extra };
  return { kind: KIND_ATTESTATION, body };
}

export function audit(eventType: string, subject: string, refs: string[] = []): OpInput {
  const body: AuditEvent = { eventType, subject, details: '', refs };
  return { kind: KIND_AUDIT, body };
}

export function delta(stream: string, round: number, values: number[]): OpInput {
  return { kind: KIND_DELTA, body: f32Delta({ stream, round, dimension: values.length, offset: 0, sampleWeight: 1 }, Float32Array.from(values)) };
}

/**
 * Builds and signs an update with no normalisation at all (deps kept in the given order, any kind,
 * any seq), so tests can produce well-signed updates that break the validity rules.
 */
export function rawSignedUpdate(
  signer: Signer,
  f: { seq: number; deps: Uint8Array[]; ops: { kind: number; payload: Uint8Array }[]; timestampMs?: number; version?: number },
): Uint8Array {
  const w = new ByteWriter();
  w.u8(f.version ?? UPDATE_VERSION).bytes(signer.publicKey).varint(f.seq).varint(f.timestampMs ?? 0).varint(f.deps.length);
  f.deps.forEach((d) => w.bytes(d));
  const opsStart = w.length;
  w.varint(f.ops.length);
  f.ops.forEach((op) => w.varint(op.kind).varint(op.payload.length).bytes(op.payload));
  const body = w.finish();
  const sig = signer.sign(buildSigned(body, opsStart, body.length));
  return Uint8Array.from([...body, ...sig]);
}
