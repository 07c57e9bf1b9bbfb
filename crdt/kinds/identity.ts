import { ByteWriter, fromHex, toHex } from '../bytes.js';
import { MurmurArgumentError } from '../errors.js';
import { HASH_BYTES } from '../hash.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, verifyStrict, type Signer } from '../ed25519.js';
import type { OpKind } from './registry.js';
import { payloadReader, writeText } from './fields.js';

export const KIND_IDENTITY = 6;
export const MAX_REVOCATION_REASON_BYTES = 256;
/** What a successor key signs to consent to continue an identity (proof of possession). */
export const DOMAIN_SUCCESSOR = Buffer.from('murmur:v1:successor\0', 'latin1');
/** The cut-off of a revocation that lets nothing of the key count. */
export const NO_CUTOFF = '0'.repeat(64);

export enum IdentityType {
  /** Signed by the old key: `newKey` continues its identity; after it the old key may only sign its own revocation. */
  Rotate = 0,
  /** Signed by the key itself or a registry authority: updates of `key` after `cutoff` count for nothing. */
  Revoke = 1,
  /** Signed by a registry authority: `newKey` continues `oldKey`'s identity (after an equivocation or a revocation). */
  Readmit = 2,
}

export type IdentityOp =
  | { readonly type: IdentityType.Rotate; readonly newKey: string; readonly proof: Uint8Array }
  | { readonly type: IdentityType.Revoke; readonly key: string; readonly cutoff: string; readonly reason: string }
  | { readonly type: IdentityType.Readmit; readonly oldKey: string; readonly newKey: string; readonly proof: Uint8Array };

/** The bytes a successor key signs: DOMAIN_SUCCESSOR || old key || new key. */
export function successorMessage(oldKey: string, newKey: string): Uint8Array {
  return new Uint8Array(Buffer.concat([DOMAIN_SUCCESSOR, fromHex(oldKey, 'oldKey', 32), fromHex(newKey, 'newKey', 32)]));
}

/** The new key's consent to continue `oldKey`'s identity. */
export function successorProof(oldKey: string, newSigner: Signer): Uint8Array {
  return newSigner.sign(successorMessage(oldKey, toHex(newSigner.publicKey)));
}

/** Whether `proof` is `newKey`'s strict signature of its consent to succeed `oldKey`. */
export function validSuccessorProof(oldKey: string, newKey: string, proof: Uint8Array): boolean {
  return oldKey !== newKey && verifyStrict(fromHex(newKey), successorMessage(oldKey, newKey), proof, newKey);
}

function decode(payload: Uint8Array): IdentityOp {
  const r = payloadReader(payload);
  const type = r.u8();
  const key = (): string => toHex(r.bytes(PUBLIC_KEY_BYTES));
  let op: IdentityOp;
  if (type === IdentityType.Rotate) {
    op = { type, newKey: key(), proof: r.bytes(SIGNATURE_BYTES) };
  } else if (type === IdentityType.Revoke) {
    const k = key();
    const cutoff = toHex(r.bytes(HASH_BYTES));
    op = { type, key: k, cutoff, reason: r.string(MAX_REVOCATION_REASON_BYTES) };
  } else if (type === IdentityType.Readmit) {
    const oldKey = key();
    const newKey = key();
    const proof = r.bytes(SIGNATURE_BYTES);
    if (!validSuccessorProof(oldKey, newKey, proof)) throw r.fail('proof is not the new key\'s signature of its succession');
    op = { type, oldKey, newKey, proof };
  } else {
    throw r.fail(`unknown identity op type ${type}`);
  }
  r.finish();
  return op;
}

function encode(op: IdentityOp): Uint8Array {
  const w = new ByteWriter(160);
  const key = (hex: string, field: string): void => void w.bytes(fromHex(hex, field, PUBLIC_KEY_BYTES));
  const sig = (b: Uint8Array): void => {
    if (!(b instanceof Uint8Array) || b.length !== SIGNATURE_BYTES) throw new MurmurArgumentError('proof', `${SIGNATURE_BYTES} bytes`);
    w.bytes(b);
  };
  w.u8(op.type);
  if (op.type === IdentityType.Rotate) {
    key(op.newKey, 'newKey');
    sig(op.proof);
  } else if (op.type === IdentityType.Revoke) {
    key(op.key, 'key');
    w.bytes(fromHex(op.cutoff, 'cutoff', HASH_BYTES));
    writeText(w, op.reason, 'reason', MAX_REVOCATION_REASON_BYTES);
  } else if (op.type === IdentityType.Readmit) {
    key(op.oldKey, 'oldKey');
    key(op.newKey, 'newKey');
    sig(op.proof);
  } else {
    throw new MurmurArgumentError('type', 'an IdentityType');
  }
  const bytes = w.finish();
  decode(bytes);
  return bytes;
}

export const identityKind: OpKind<IdentityOp> = { kind: KIND_IDENTITY, name: 'identity', decode, encode };
