import { Author, fromHex, IdentityType, KIND_IDENTITY, NO_CUTOFF, successorProof, toHex, type OpInput } from '../../crdt/index.js';
import { ConfigError } from '../errors.js';
import { loadKeyFile } from '../keys.js';
import { signAndSubmit, type ApiTarget } from './api-client.js';

const MAX_DEPS = 8;
const op = (body: unknown): OpInput => ({ kind: KIND_IDENTITY, body });

function hexKey(v: string | undefined, flag: string): string {
  if (v === undefined || !/^[0-9a-f]{64}$/.test(v)) throw new ConfigError(flag, 'a public key, 64 hex characters', v);
  return v;
}

/**
 * `murmur rotate`: the old key names the new one as its successor (the new key's signature
 * proves its holder consents), continuing the identity: weights, registry entries and evidence
 * history follow; after it the old key's updates count for nothing but its own revocation.
 */
export async function rotate(api: ApiTarget, keyPath: string, newKeyPath: string): Promise<unknown> {
  const old = new Author(loadKeyFile(keyPath).signer);
  const next = loadKeyFile(newKeyPath).signer;
  if (toHex(next.publicKey) === old.key) throw new ConfigError('--new-key', 'a key other than --key');
  const body = { type: IdentityType.Rotate, newKey: toHex(next.publicKey), proof: successorProof(old.key, next) };
  return { oldKey: old.key, newKey: body.newKey, ...(await signAndSubmit(api, keyPath, old, [op(body)], Date.now(), MAX_DEPS)) };
}

/**
 * `murmur revoke`: by the key itself (from its next update on: the cut-off is its previous
 * update) or by a registry authority (`--target` key, `--cutoff` its last update that still
 * counts, or none). Named by cut-off, not by time: whatever a revoked key later claims, its
 * updates after the cut-off count for nothing (PROTOCOL.md §6a).
 */
export async function revoke(api: ApiTarget, keyPath: string, opts: { target?: string; cutoff?: string; reason: string }): Promise<unknown> {
  const signer = new Author(loadKeyFile(keyPath).signer);
  const target = opts.target === undefined ? signer.key : hexKey(opts.target, '--target');
  const self = target === signer.key;
  if (self && opts.cutoff !== undefined) throw new ConfigError('--cutoff', 'absent for a self-revocation (its cut-off is the key\'s own previous update)');
  if (opts.cutoff !== undefined) fromHex(opts.cutoff, '--cutoff', 32);
  const cutoff = opts.cutoff ?? NO_CUTOFF;
  const ops = (prev: string | null): OpInput[] => [op({ type: IdentityType.Revoke, key: target, cutoff: self ? (prev ?? NO_CUTOFF) : cutoff, reason: opts.reason })];
  return { target, ...(await signAndSubmit(api, keyPath, signer, ops, Date.now(), MAX_DEPS, self || cutoff === NO_CUTOFF ? [] : [cutoff])) };
}

/** `murmur succession-proof`: the new key's consent to continue `oldKey`'s identity, for an authority's `murmur readmit`. */
export function succession(newKeyPath: string, oldKey: string): { oldKey: string; newKey: string; proof: string } {
  const next = loadKeyFile(newKeyPath).signer;
  const old = hexKey(oldKey, '--old');
  return { oldKey: old, newKey: toHex(next.publicKey), proof: toHex(successorProof(old, next)) };
}

/** `murmur readmit`: a registry authority lets `newKey` continue `oldKey`'s identity (after an equivocation or a revocation), evidence kept. */
export async function readmit(api: ApiTarget, keyPath: string, oldKey: string, newKey: string, proof: string): Promise<unknown> {
  const authority = new Author(loadKeyFile(keyPath).signer);
  const body = { type: IdentityType.Readmit, oldKey: hexKey(oldKey, '--old'), newKey: hexKey(newKey, '--new'), proof: fromHex(proof, '--proof', 64) };
  return signAndSubmit(api, keyPath, authority, [op(body)], Date.now(), MAX_DEPS);
}
