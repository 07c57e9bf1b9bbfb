import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The vendored copies in test/vectors (source and licence in its README); MURMUR_VECTORS_DIR overrides. */
export const VECTORS_DIR = process.env.MURMUR_VECTORS_DIR ?? join(import.meta.dirname, '..', 'vectors');

export function loadVectors<T>(name: string): T {
  const path = join(VECTORS_DIR, name);
  if (!existsSync(path)) throw new Error(`test vectors not found at ${path}: restore test/vectors/ or set MURMUR_VECTORS_DIR`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
