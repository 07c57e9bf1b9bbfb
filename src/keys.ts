import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Signer, fromHex, toHex } from '../crdt/index.js';
import { ConfigError } from './errors.js';

/** Key file: JSON { type: "ed25519", seed: hex, publicKey: hex }, mode 0600. */
export interface KeyFile {
  type: 'ed25519';
  seed: string;
  publicKey: string;
}

export function generateKeyFile(path: string): Signer {
  if (existsSync(path)) throw new ConfigError('key', `a path where no file exists yet (${path} exists; refusing to overwrite a key)`);
  const seed = new Uint8Array(randomBytes(32));
  const signer = new Signer(seed);
  const file: KeyFile = { type: 'ed25519', seed: toHex(seed), publicKey: toHex(signer.publicKey) };
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return signer;
}

export function loadKeyFile(path: string): { signer: Signer; seed: Uint8Array } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('key', `a readable JSON key file made by 'murmur keygen' (${(err as Error).message})`);
  }
  const f = parsed as Partial<KeyFile>;
  if (f.type !== 'ed25519' || typeof f.seed !== 'string') throw new ConfigError('key', 'a key file with type "ed25519" and a hex seed');
  const seed = fromHex(f.seed, 'key.seed', 32);
  const signer = new Signer(seed);
  if (f.publicKey !== undefined && f.publicKey !== toHex(signer.publicKey)) throw new ConfigError('key.publicKey', 'the public key of the seed');
  return { signer, seed };
}

/** Loads the key at `path`, creating it first if missing (for `murmur start` on a fresh data dir). */
export function loadOrCreateKeyFile(path: string): { signer: Signer; seed: Uint8Array; created: boolean } {
  const created = !existsSync(path);
  if (created) generateKeyFile(path);
  return { ...loadKeyFile(path), created };
}
