import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { generateKeyFile, loadKeyFile, secureDataDir } from '../../src/keys.js';

test('a key file readable or writable by group or others is refused with the chmod to run, as ssh does', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.key');
  const signer = generateKeyFile(path);
  assert.deepEqual(loadKeyFile(path).signer.publicKey, signer.publicKey, 'a 0600 key loads');
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o666]) {
    chmodSync(path, mode);
    assert.throws(() => loadKeyFile(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `mode 0${mode.toString(8)}: a ConfigError`);
      assert.match(err.message, new RegExp(`mode 0${mode.toString(8)}`), `mode 0${mode.toString(8)}: the message names the mode`);
      assert.ok(err.message.includes(`chmod 600 ${path}`), `mode 0${mode.toString(8)}: the message says the chmod to run`);
      return true;
    }, `mode 0${mode.toString(8)} is refused`);
  }
  chmodSync(path, 0o400);
  assert.doesNotThrow(() => loadKeyFile(path), 'a read-only key for its owner loads');
});

test('the data dir is set to 0700 at every start, not only when it is created', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'murmur-datadir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o755 });
  chmodSync(data, 0o755);
  secureDataDir(data);
  assert.equal(statSync(data).mode & 0o777, 0o700, 'an existing 0755 dir is narrowed to 0700');
  secureDataDir(join(dir, 'fresh', 'nested'));
  assert.equal(statSync(join(dir, 'fresh', 'nested')).mode & 0o777, 0o700, 'a new dir is 0700');
});
