import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';

/**
 * Writes `text` to `path` atomically and durably: a temporary file (mode 0600), fsync, rename over
 * `path`, fsync of the directory. A crash leaves either the old file or the new one, never half.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Reads back a small JSON file murmur wrote beside a key (a journal, a venue cursor, a round's
 * secrets): null when it does not exist. Over `maxBytes`, or not JSON, is a ConfigError naming the
 * file, with `describe(why)` as its expectation; the caller checks the shape and throws `bad(why)`
 * for the same kind of error.
 */
export function readStateFile<T>(path: string, maxBytes: number, describe: (why: string) => string): { value: T; bad: (why: string) => ConfigError } | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path);
  const bad = (why: string): ConfigError => new ConfigError(path, describe(why));
  if (text.length > maxBytes) throw bad(`over ${maxBytes} bytes`);
  try {
    return { value: JSON.parse(text.toString('utf8')) as T, bad };
  } catch {
    throw bad('not JSON');
  }
}
