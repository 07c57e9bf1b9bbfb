import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../src/config.js';
import { MurmurNode } from '../../src/node.js';
import { generateTokenFile } from '../../src/keys.js';
import { LOOPBACK, tempDataDir } from '../helpers/cluster.js';
import { attest, authorFor } from '../helpers/fixtures.js';
import { readFileSync } from 'node:fs';

interface RawReply {
  status: number | null;
  text: string;
  /** How the connection ended: the server closed it, or reset it. */
  ended: 'close' | 'reset';
  ms: number;
}

/** Sends raw bytes (optionally in timed pieces) and reads until the server closes. */
function raw(port: number, pieces: (string | Buffer)[], gapMs = 0): Promise<RawReply> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s: Socket = connect(port, '127.0.0.1');
    let text = '';
    let ended: 'close' | 'reset' = 'close';
    let timer: NodeJS.Timeout | undefined;
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') ended = 'reset';
    });
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m === null ? null : Number(m[1]), text, ended, ms: performance.now() - t0 });
    });
    let i = 0;
    const next = (): void => {
      if (s.destroyed || i >= pieces.length) return;
      s.write(pieces[i++]!);
      timer = setTimeout(next, gapMs);
    };
    s.on('connect', next);
  });
}

async function withNode(label: string, extra: Record<string, unknown>, fn: (node: MurmurNode, port: number, logs: string[]) => Promise<void>, requestTimeoutMs?: number): Promise<void> {
  const dir = tempDataDir(label);
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }));
  const config = resolveConfig({ dataDir: join(dir, 'data'), networkId: 'murmur-test', listen: [LOOPBACK], apiPort: 0, storeSync: false, logLevel: 'silent', ...extra });
  const node = await MurmurNode.start({ config, logger, ...(requestTimeoutMs !== undefined ? { apiRequestTimeoutMs: requestTimeoutMs } : {}) });
  try {
    await fn(node, Number(new URL(node.apiUrl!).port), logs);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const get = (path: string, headers: string[] = []): string => `GET ${path} HTTP/1.1\r\n${headers.map((h) => h + '\r\n').join('')}Connection: close\r\n\r\n`;

test('DNS rebinding and cross-site calls: a Host or Origin that is not this node is refused; IP literals, localhost and allowed names are served', async () => {
  await withNode('api-host', { apiAllowedHosts: ['node1.example.org'] }, async (_node, port) => {
    const cases: [string, string[], number][] = [
      ['Host 127.0.0.1 with port', [`Host: 127.0.0.1:${port}`], 200],
      ['Host localhost', [`Host: localhost:${port}`], 200],
      ['Host [::1]', [`Host: [::1]:${port}`], 200],
      ['an allowed name', ['Host: node1.example.org'], 200],
      ['an allowed name in capitals', ['Host: NODE1.example.org:7070'], 200],
      ['a rebound attacker name', [`Host: attacker.example:${port}`], 421],
      ['no Host at all', [], 400], // Node itself refuses HTTP/1.1 without Host
      ['a junk Host', ['Host: a b'], 421],
      ['a cross-site Origin', [`Host: 127.0.0.1:${port}`, 'Origin: http://attacker.example'], 403],
      ['Origin null', [`Host: 127.0.0.1:${port}`, 'Origin: null'], 403],
      ['a same-node Origin', [`Host: 127.0.0.1:${port}`, `Origin: http://127.0.0.1:${port}`], 200],
    ];
    for (const [label, headers, status] of cases) {
      const r = await raw(port, [get('/health', headers)]);
      assert.equal(r.status, status, `${label}: status (${r.text.slice(0, 200)})`);
      if (status === 421) assert.match(r.text, /"code":"bad-host"/, `${label}: typed code`);
      if (status === 403) assert.match(r.text, /"code":"bad-origin"/, `${label}: typed code`);
    }
  });
});

test('writes need the bearer token from apiTokenFile; reads do not', async () => {
  const dir = tempDataDir('api-token');
  const tokenFile = join(dir, 'token');
  generateTokenFile(tokenFile);
  const token = readFileSync(tokenFile, 'utf8').trim();
  try {
    await withNode('api-token-node', { apiTokenFile: tokenFile }, async (node) => {
      const api = node.apiUrl!;
      const bytes = authorFor('token').next([attest('T', 1, 1)], 1).bytes;
      const post = (auth?: string) => fetch(`${api}/v1/updates`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...(auth !== undefined ? { authorization: auth } : {}) }, body: bytes });
      for (const [label, auth] of [['no token', undefined], ['a wrong token', `Bearer ${'0'.repeat(64)}`], ['a prefix of the token', `Bearer ${token.slice(0, 32)}`], ['not a bearer scheme', `Basic ${token}`]] as const) {
        const res = await post(auth);
        assert.equal(res.status, 401, `${label}: 401`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized', `${label}: typed code`);
      }
      assert.equal(node.log.size, 0, 'nothing was accepted without the token');
      assert.equal((await fetch(`${api}/v1/status`)).status, 200, 'reads need no token');
      const ok = await post(`Bearer ${token}`);
      assert.equal(ok.status, 200, 'the token lets the write through');
      assert.equal(node.log.size, 1, 'and the update is accepted');
    });
    writeFileSync(tokenFile, 'short\n', { mode: 0o600 });
    await assert.rejects(withNode('api-token-short', { apiTokenFile: tokenFile }, async () => undefined), /apiTokenFile/, 'a token shorter than 32 characters is refused at start');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a chunked body over the limit gets 413, not a reset; an aborted upload is not logged as the node\'s error', async () => {
  await withNode('api-413', {}, async (_node, port, logs) => {
    const head = `POST /v1/updates HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 7), Buffer.from('\r\n')]); // 1 MiB
    const r = await raw(port, [head, ...Array.from({ length: 6 }, () => chunk)], 5);
    assert.equal(r.status, 413, `the oversized chunked body is answered 413 (got ${r.text.slice(0, 120)})`);
    assert.match(r.text, /"code":"payload-too-large"/, 'with the typed code');

    // A client that gives up half way through its body.
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`POST /v1/updates HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`);
        s.write(Buffer.alloc(1000));
        setTimeout(() => (s.destroy(), resolve()), 50);
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    const errors = logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    assert.deepEqual(errors, [], 'no error-level log for a client that aborted');
  });
});

test('malformed request targets get 4xx with a typed code, never 500', async () => {
  await withNode('api-target', {}, async (_node, port) => {
    for (const target of ['//[', 'http://x:99999/v1/status', 'http://%zz/', '/%', '//', '*']) {
      const r = await raw(port, [get(target, ['Host: 127.0.0.1'])]);
      assert.ok(r.status !== null && r.status >= 400 && r.status < 500, `${target}: a 4xx (got ${r.status}: ${r.text.slice(0, 160)})`);
    }
  });
});

test('the request time limit is enforced at its value, not at Node\'s 30 s check interval', async () => {
  const LIMIT_MS = 1_000;
  await withNode('api-slow', {}, async (_node, port) => {
    // A client that sends its headers at one byte every 100 ms never finishes them within the limit.
    const r = await raw(port, [...'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200)], 100);
    assert.ok(r.ms < LIMIT_MS * 2, `the slow client was cut after ${Math.round(r.ms)} ms (limit ${LIMIT_MS} ms)`);
    assert.ok(r.ms >= LIMIT_MS * 0.9, `not before the limit (${Math.round(r.ms)} ms)`);
  }, LIMIT_MS);
});
