import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { attest, authorFor } from '../helpers/fixtures.js';
import { startNode, tempDataDir } from '../helpers/cluster.js';

const UPDATES = 3_000;

test('/ready: 503 (no peers, then catching up) while a new node catches up, 200 once a sync session finds nothing missing; /health stays 200 throughout', async (t) => {
  const dir = tempDataDir('ready');
  const source = await startNode(join(dir, 'source'));
  let sink: Awaited<ReturnType<typeof startNode>> | null = null;
  t.after(async () => {
    await Promise.allSettled([sink?.stop(), source.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const a = authorFor('ready');
  for (let i = 0; i < UPDATES; i++) source.log.offer(a.next([attest('R', i, i)], i, []).bytes, { signatureVerified: true });
  await source.store.flush();
  const alone = await fetch(`${source.apiUrl}/ready`);
  assert.equal(alone.status, 503, 'a node without peers is not ready');
  assert.equal(((await alone.json()) as { code: string }).code, 'no-peers', 'and says why');

  sink = await startNode(join(dir, 'sink'), { bootstrap: [`${source.network.multiaddrs()[0]}`] });
  const seen = new Map<string, number>();
  let readyAt = -1;
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const r = await fetch(`${sink.apiUrl}/ready`);
    const body = (await r.json()) as { ready: boolean; code?: string };
    assert.equal((await fetch(`${sink.apiUrl}/health`)).status, 200, 'liveness is not readiness: /health stays 200');
    if (r.status === 200) {
      readyAt = sink.log.size;
      break;
    }
    assert.equal(body.ready, false, 'a 503 says ready: false');
    seen.set(body.code!, (seen.get(body.code!) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(readyAt, UPDATES, `ready only with every update held (503 codes seen: ${JSON.stringify([...seen])})`);
  assert.ok(seen.size > 0, 'it answered 503 before it was ready');
  assert.ok([...seen.keys()].every((c) => ['no-peers', 'not-synced', 'catching-up', 'missing-deps'].includes(c)), `only the documented codes (${[...seen.keys()]})`);
});
