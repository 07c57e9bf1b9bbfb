import { createPublicKey, verify as opensslVerify, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { KEY_CACHE_MAX_ENTRIES } from './limits.js';
import { toHex } from './bytes.js';

/**
 * Rule 4 of strict Ed25519 (docs/PROTOCOL.md, "Signatures"): the cofactorless equation
 * [S]B = R + [k]A, asked only of inputs that already passed rules 1-3 (canonical, not small-order
 * A and R; S < L). Two implementations, which give the same verdict on every such input:
 *
 * - `libsodium` (sodium-native's prebuilt binding, `crypto_sign_verify_detached`): about twice
 *   OpenSSL's speed on this project's machines. Its own refusals (non-canonical or small-order A
 *   and R, S >= L) are a subset of rules 1-3, so on what reaches it, it decides exactly the
 *   equation: it recomputes R from S, k and A and compares the encodings.
 * - `openssl` (node:crypto): the same equation, the same encoding comparison. Used where the
 *   binding does not load (a platform without a prebuilt binary).
 *
 * Which one runs never changes a verdict, so nodes on either agree; every vector of
 * ../shared/vectors passes on both (test/crdt/ed25519-vectors.test.ts), and a property test
 * compares them on random and mutated signatures.
 */
export type EquationBackend = 'libsodium' | 'openssl';

export interface Equation {
  readonly backend: EquationBackend;
  /** True when [S]B = R + [k]A; `publicKeyHex` (when known) saves encoding the key for a cache. */
  holds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, publicKeyHex?: string): boolean;
}

/** DER SubjectPublicKeyInfo header of an Ed25519 key (the 32 raw key bytes follow). */
export const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** OpenSSL through node:crypto, with a bounded cache of parsed keys (`null`: OpenSSL refused it). */
class OpensslEquation implements Equation {
  readonly backend = 'openssl';
  private readonly keys = new Map<string, KeyObject | null>();

  holds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, publicKeyHex?: string): boolean {
    const key = this.key(publicKey, publicKeyHex ?? toHex(publicKey));
    if (key === null) return false;
    try {
      return opensslVerify(null, message, key, signature);
    } catch {
      return false;
    }
  }

  private key(pub: Uint8Array, hex: string): KeyObject | null {
    const hit = this.keys.get(hex);
    if (hit !== undefined) return hit;
    let parsed: KeyObject | null = null;
    try {
      parsed = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    } catch {
      parsed = null;
    }
    if (this.keys.size >= KEY_CACHE_MAX_ENTRIES) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(hex, parsed);
    return parsed;
  }
}

interface SodiumBinding {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

class LibsodiumEquation implements Equation {
  readonly backend = 'libsodium';
  constructor(private readonly sodium: SodiumBinding) {}

  holds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return this.sodium.crypto_sign_verify_detached(signature, message, publicKey);
    } catch {
      return false;
    }
  }
}

/** The libsodium equation, or null where sodium-native's binary does not load here. */
export function libsodiumEquation(): Equation | null {
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as SodiumBinding;
    return typeof sodium.crypto_sign_verify_detached === 'function' ? new LibsodiumEquation(sodium) : null;
  } catch {
    return null;
  }
}

export const OPENSSL_EQUATION: Equation = new OpensslEquation();

/** The equation every strict check of this process uses: libsodium when it loads, else OpenSSL. */
export const EQUATION: Equation = libsodiumEquation() ?? OPENSSL_EQUATION;
