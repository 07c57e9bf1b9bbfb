import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { check, KernelErrorCode } from '../errors.js';

/**
 * The deterministic cryptography of a secure-aggregation round, all through node:crypto: X25519
 * agreement, HKDF-SHA256 key derivation bound to the roster and the pair, AES-256-GCM for shares
 * in transit, and SHA-256 commitments. Nothing here draws randomness: secret keys and seeds come
 * from the contributor's CSPRNG (src/secagg/participant.ts).
 */

export const X25519_BYTES = 32;
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const INFO_PAIRWISE = 'murmur/secagg/pairwise/v1';
const INFO_SHARE = 'murmur/secagg/share/v1';
const COMMIT_SHARE = 'murmur/secagg/share-commit/v1';
const COMMIT_SEED = 'murmur/secagg/seed-commit/v1';
const GCM_NONCE = Buffer.alloc(12); // every share key encrypts exactly one message

function privateKey(sk: Uint8Array): KeyObject {
  check(sk.length === X25519_BYTES, KernelErrorCode.BadShape, 'sk', `${X25519_BYTES} bytes`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, sk]), format: 'der', type: 'pkcs8' });
}

function publicKey(pk: Uint8Array): KeyObject {
  check(pk.length === X25519_BYTES, KernelErrorCode.BadShape, 'pk', `${X25519_BYTES} bytes`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' });
}

export function x25519Public(sk: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKey(sk)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/** X25519(sk, pk), or null when the agreement fails (a low-order point gives the all-zero secret, which OpenSSL refuses). */
export function x25519Shared(sk: Uint8Array, pk: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(diffieHellman({ privateKey: privateKey(sk), publicKey: publicKey(pk) }));
  } catch {
    return null;
  }
}

const PROBE_SK = new Uint8Array(X25519_BYTES).fill(0x5a);
let probeKey: KeyObject | null = null;
/** Verdicts of isUsableX25519 by key (hex), oldest evicted first: a round's state is re-derived on every read, its keys rarely change. */
const USABLE_CACHE_MAX_ENTRIES = 4_096;
const usableCache = new Map<string, boolean>();

/**
 * Whether `pk` is a public key every agreement with succeeds (not a low-order point). A pure
 * function of `pk`; the verdict is remembered (at most USABLE_CACHE_MAX_ENTRIES keys), because
 * the probe agreement costs about 100 µs and a round's members are checked on every derivation.
 */
export function isUsableX25519(pk: Uint8Array): boolean {
  if (pk.length !== X25519_BYTES) return false;
  const id = Buffer.from(pk.buffer, pk.byteOffset, pk.byteLength).toString('hex');
  const known = usableCache.get(id);
  if (known !== undefined) return known;
  probeKey ??= privateKey(PROBE_SK);
  let ok: boolean;
  try {
    diffieHellman({ privateKey: probeKey, publicKey: publicKey(pk) });
    ok = true;
  } catch {
    ok = false;
  }
  if (usableCache.size >= USABLE_CACHE_MAX_ENTRIES) usableCache.delete(usableCache.keys().next().value!);
  usableCache.set(id, ok);
  return ok;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, a: number, b: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.concat([Buffer.from(info), u32(a), u32(b)]), 32));
}

/** Seed of the pairwise mask between members a and b of the roster (symmetric in a and b). */
export function pairwiseSeed(shared: Uint8Array, roster: Uint8Array, a: number, b: number): Uint8Array {
  return hkdf(shared, roster, INFO_PAIRWISE, Math.min(a, b), Math.max(a, b));
}

/** Key that encrypts dealer's shares for holder (one message per key). */
export function shareKey(shared: Uint8Array, roster: Uint8Array, dealer: number, holder: number): Uint8Array {
  return hkdf(shared, roster, INFO_SHARE, dealer, holder);
}

export function sealShares(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, GCM_NONCE);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return new Uint8Array(Buffer.concat([body, c.getAuthTag()]));
}

/** The plaintext, or null when the ciphertext does not authenticate under `key`. */
export function openShares(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < 16) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, GCM_NONCE);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  } catch {
    return null;
  }
}

/** Commitment to the share of `dealer`'s secret `of` (0 self-mask seed, 1 mask key) held by `holder`. */
export function shareCommit(roster: Uint8Array, dealer: number, holder: number, of: number, share: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(COMMIT_SHARE).update(roster).update(u32(dealer)).update(u32(holder)).update(Buffer.of(of)).update(share).digest());
}

/** Commitment to `dealer`'s self-mask seed. */
export function seedCommit(roster: Uint8Array, dealer: number, seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(COMMIT_SEED).update(roster).update(u32(dealer)).update(seed).digest());
}
