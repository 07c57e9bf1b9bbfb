import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** Permission bits a key file may not have: any access by group or others (as ssh refuses). */
const KEY_FILE_FORBIDDEN_MODE = 0o077;

/** Refuses a secret file (key, API token) that group or others can read or write, naming the chmod that mends it. */
export function checkSecretFileMode(path: string, field = 'key'): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    throw new ConfigError(field, `a readable ${field} file (${(err as Error).message})`);
  }
  if ((mode & KEY_FILE_FORBIDDEN_MODE) !== 0) {
    throw new ConfigError(field, `a ${field} file only its owner can access (${path} has mode 0${mode.toString(8)}; run: chmod 600 ${path})`);
  }
}

/** Shortest API token accepted (characters); `murmur init` writes 64 hex characters. */
export const API_TOKEN_MIN_CHARS = 32;

/** Writes a new random API token (32 bytes, hex) with mode 0600; refuses to overwrite. */
export function generateTokenFile(path: string): void {
  writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

/** Reads an API token file (0600, one line of printable ASCII, at least API_TOKEN_MIN_CHARS). */
export function loadTokenFile(path: string, field = 'apiTokenFile'): string {
  checkSecretFileMode(path, field);
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < API_TOKEN_MIN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(field, `a file holding one token of at least ${API_TOKEN_MIN_CHARS} printable ASCII characters (murmur init writes one)`);
  }
  return token;
}

/** Creates the data dir if missing and sets it to 0700 at every start (a dir made by hand or restored from a backup may be wider). */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function loadKeyFile(path: string): { signer: Signer; seed: Uint8Array } {
  checkSecretFileMode(path);
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
