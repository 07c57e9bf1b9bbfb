import { createCipheriv, createHash } from 'node:crypto';
import { readStateFile, writeFileAtomic } from '../contributor/atomic-file.js';

/** Largest participant state file read (a few hundred bytes in practice). */
export const SECAGG_STATE_MAX_BYTES = 64 * 1024;

/**
 * A participant's secrets and decisions for one round, beside its key
 * (`<key>.secagg-<hash of stream and round>.json`, 0600, written atomically before any op that
 * depends on it is signed). Losing it mid-round loses the round for this member (its masks cannot
 * be rebuilt), never its privacy: every secret in it was drawn from the CSPRNG, and no decision it
 * records (roster, included neighbours, the close answered) is ever made twice.
 */
export interface SecretState {
  version: 1;
  stream: string;
  round: number;
  author: string;
  /** Hex: X25519 secret keys (share encryption, pairwise masks), the self-mask seed b, the noise DRBG key. */
  encSk: string;
  maskSk: string;
  seed: string;
  noiseSeed: string;
  /** Stages signed (each exactly once). */
  sent: { keys: boolean; shares: boolean; masked: boolean; reveal: boolean };
  roster: string | null;
  included: number[] | null;
  /** The one close this member answers; it never answers another (the safety rule). */
  close: string | null;
}

export function statePath(keyPath: string, stream: string, round: number): string {
  const tag = createHash('sha256').update(`${stream}\u0000${round}`).digest('hex').slice(0, 16);
  return `${keyPath}.secagg-${tag}.json`;
}

export function loadState(path: string, author: string, stream: string, round: number): SecretState | null {
  const read = readStateFile<SecretState>(path, SECAGG_STATE_MAX_BYTES, (why) => `a secure-aggregation state written by murmur (${why})`);
  if (read === null) return null;
  const { value: s, bad } = read;
  const hex32 = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (s?.version !== 1 || s.author !== author || s.stream !== stream || s.round !== round || ![s.encSk, s.maskSk, s.seed, s.noiseSeed].every(hex32) || typeof s.sent !== 'object') {
    throw bad('wrong shape, or another key or round');
  }
  return s;
}

export function saveState(path: string, s: SecretState): void {
  writeFileAtomic(path, JSON.stringify(s) + '\n');
}

/** A deterministic random-byte stream keyed by a CSPRNG seed (AES-256-CTR): the noise is fixed once the seed is, so a resent slice carries the same noise. */
export function seededBytes(seed: Uint8Array): (n: number) => Uint8Array {
  const cipher = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  return (n) => new Uint8Array(cipher.update(Buffer.alloc(n)));
}
