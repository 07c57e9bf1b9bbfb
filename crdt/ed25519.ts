import { createPrivateKey, createPublicKey, sign as opensslSign, type KeyObject } from 'node:crypto';
import { MurmurArgumentError } from './errors.js';
import { EQUATION, SPKI_PREFIX, type Equation } from './ed25519-equation.js';

/**
 * Strict Ed25519, identical on every node (docs/PROTOCOL.md, "Signatures"):
 *   1. A (public key) and R (first half of the signature) must be canonical encodings (y < p) and
 *      must not be points of small order;
 *   2. S (second half) must be < L;
 *   3. the cofactorless equation [S]B = R + [k]A must hold (libsodium, or OpenSSL where the binding
 *      does not load: ed25519-equation.ts; both check exactly the cofactorless equation).
 * Steps 1 and 2 are byte comparisons and run before either library, so a library's own edge-case
 * rules never decide a verdict. Vectors: ../shared/vectors (speccheck "strict" and Wycheproof).
 */

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const SEED_BYTES = 32;

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Little-endian encodings of y for every point of order dividing 8 (sign bit masked off). */
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4 (y = 0)
  '0100000000000000000000000000000000000000000000000000000000000000', // identity (y = 1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2 (y = p - 1)
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
].map((h) => Buffer.from(h, 'hex'));

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L_LE = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/** True when the 32 bytes at `off` encode y >= p = 2^255 - 19 (sign bit ignored). */
function yIsNonCanonical(b: Uint8Array, off: number): boolean {
  if ((b[off + 31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (b[off + i] !== 0xff) return false;
  return b[off]! >= 0xed;
}

function isSmallOrderY(b: Uint8Array, off: number): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (b[off + i] !== y[i]) continue outer;
    if ((b[off + 31]! & 0x7f) === y[31]) return true;
  }
  return false;
}

/** True when the point encoding at `off` passes rule 1 (canonical, not small order). */
export function isStrictPointEncoding(b: Uint8Array, off = 0): boolean {
  return !yIsNonCanonical(b, off) && !isSmallOrderY(b, off);
}

/** True when the little-endian scalar at `off` is < L. */
export function isCanonicalScalar(b: Uint8Array, off: number): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = b[off + i]!;
    const l = L_LE[i]!;
    if (x !== l) return x < l;
  }
  return false;
}

/**
 * Strict verification (see the module comment). Never throws on malformed input; returns false.
 * `publicKeyHex`, when the caller already has it, saves re-encoding the key for a key cache.
 */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, publicKeyHex?: string): boolean {
  return verifyStrictWith(EQUATION, publicKey, message, signature, publicKeyHex);
}

/** verifyStrict with a given equation backend (the tests run every vector on each). */
export function verifyStrictWith(equation: Equation, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, publicKeyHex?: string): boolean {
  return passesByteRules(publicKey, signature) && equation.holds(publicKey, message, signature, publicKeyHex);
}

/** Rules 1 and 2 (see the module comment): lengths, canonical non-small-order A and R, S < L. */
export function passesByteRules(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return (
    publicKey.length === PUBLIC_KEY_BYTES &&
    signature.length === SIGNATURE_BYTES &&
    isStrictPointEncoding(publicKey, 0) &&
    isStrictPointEncoding(signature, 0) &&
    isCanonicalScalar(signature, 32)
  );
}

/** Deterministic Ed25519 signer built from a 32-byte seed (RFC 8032 secret key). */
export class Signer {
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;

  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
      throw new MurmurArgumentError('seed', `${SEED_BYTES} bytes`);
    }
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  }

  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(opensslSign(null, message, this.key));
  }
}
