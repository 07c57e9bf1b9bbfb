import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let hooked = false;

/**
 * A fresh directory under the system temp dir, removed when the test process exits (tests that
 * remove theirs earlier may: removal is forced and idempotent). Tests never leave data behind.
 */
export function scratchDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `murmur-${label}-`));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
