import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG, readConfigFile, resolveConfig } from '../../src/config.js';
import { tempDataDir } from '../helpers/cluster.js';

/** The `murmur` command as operators run it (npm run murmur -- …), here on this process's Node. */
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function murmur(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : err.killed === true ? -1 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('keygen writes a 0600 key and prints its public key; init writes a config that parses to the defaults plus a 0600 API token, and never overwrites', async (t) => {
  const dir = tempDataDir('cli-files');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = await murmur(['keygen', '--out', join(dir, 'c.key')]);
  assert.equal(key.code, 0, key.stderr);
  assert.match(key.stdout.trim(), /^[0-9a-f]{64}$/, 'the public key, hex');
  assert.equal(statSync(join(dir, 'c.key')).mode & 0o777, 0o600, 'the key file is readable by its owner only');
  const cfg = join(dir, 'm.json');
  const init = await murmur(['init', '--config', cfg]);
  assert.equal(init.code, 0, init.stderr);
  const tokenFile = join(dir, 'murmur.api-token');
  assert.deepEqual(resolveConfig(readConfigFile(cfg)), { ...DEFAULT_CONFIG, apiTokenFile: tokenFile }, 'the commented template is the defaults, with the token file init wrote');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'the API token is readable by its owner only');
  assert.match(readFileSync(tokenFile, 'utf8'), /^[0-9a-f]{64}\n$/, 'the token: 32 random bytes, hex');
  const again = await murmur(['init', '--config', cfg]);
  assert.equal(again.code, 2, 'a second init refuses');
  assert.match(again.stderr, /--config/, 'and names the flag');
});

test('bad config or flags: exit 2, a message naming the field and what it expects, and nothing started', async (t) => {
  const dir = tempDataDir('cli-bad');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Loopback and free ports throughout, so a case that wrongly started would disturb nothing.
  const safe = { listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0 };
  const cases: { label: string; config?: Record<string, unknown>; flags?: string[]; expect: RegExp }[] = [
    { label: 'a port that is not a number', config: { ...safe, apiPort: 'x' }, expect: /apiPort.*integer in 0\.\.65535/ },
    { label: 'an unknown field', config: { ...safe, bogus: 1 }, expect: /bogus.*known fields/ },
    { label: 'a bootstrap address without a peer id', config: { ...safe, bootstrap: ['/ip4/127.0.0.1/tcp/1'] }, expect: /bootstrap\[0\].*\/p2p\// },
    { label: 'verifierNice out of range', config: { ...safe, verifierNice: 20 }, expect: /verifierNice.*0\.\.19/ },
    { label: 'a bad --api-port', config: safe, flags: ['--api-port', 'abc'], expect: /--api-port.*port number/ },
    { label: 'an unknown flag', config: safe, flags: ['--frobnicate'], expect: /frobnicate/ },
    { label: 'a token file that is missing', config: { ...safe, apiTokenFile: join(dir, 'no-such-token') }, expect: /apiTokenFile/ },
    { label: 'an allowed host that is not a DNS name', config: { ...safe, apiAllowedHosts: ['Bad_Host'] }, expect: /apiAllowedHosts\[0\].*DNS name/ },
  ];
  for (const [i, c] of cases.entries()) {
    const dataDir = join(dir, `d${i}`);
    writeFileSync(join(dir, `c${i}.json`), JSON.stringify(c.config));
    const args = ['start', '--data-dir', dataDir, '--config', join(dir, `c${i}.json`), ...(c.flags ?? [])];
    const r = await murmur(args);
    assert.equal(r.code, 2, `${c.label}: exit 2 (${r.stderr})`);
    assert.match(r.stderr, c.expect, `${c.label}: the message names the field and what it expects`);
    assert.equal(existsSync(join(dataDir, 'store')), false, `${c.label}: no store was created`);
  }
});

test('start, attest, status, SIGTERM, verify-store: a peer run from the CLI keeps what it acknowledged', async (t) => {
  const dir = tempDataDir('cli-run');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal((await murmur(['keygen', '--out', join(dir, 'contributor.key')])).code, 0);
  const dataDir = join(dir, 'node');
  const peer = spawn(process.execPath, [...CLI, 'start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => peer.kill('SIGKILL'));
  let out = '';
  peer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => peer.on('exit', (code) => resolve(code)));
  const api = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no API line in 30 s: ${out}`)), 30_000);
    peer.stdout.on('data', () => {
      const m = /api\s+(http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const attest = await murmur(['attest', '--key', join(dir, 'contributor.key'), '--feed', 'ETH/USD', '--value', '2501.37', '--confidence', '0.8', '--feed', 'BTC/USD', '--value', '64000', '--confidence', '12.5', '--api', api]);
  assert.equal(attest.code, 0, attest.stderr);
  assert.match(attest.stdout, /"accepted"/, 'the node accepted the signed update');
  const status = await murmur(['status', '--api', api]);
  assert.equal(status.code, 0, status.stderr);
  const { updates, digest } = JSON.parse(status.stdout) as { updates: number; digest: string };
  assert.equal(updates, 1, 'one update with both feeds');
  peer.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM shuts the peer down cleanly');
  const verify = await murmur(['verify-store', '--data-dir', dataDir]);
  assert.equal(verify.code, 0, verify.stderr);
  const replay = JSON.parse(verify.stdout) as { updates: number; digest: string; corrupt: unknown[] };
  assert.deepEqual([replay.updates, replay.digest, replay.corrupt.length], [1, digest, 0], 'the store replays to the same digest');
});
