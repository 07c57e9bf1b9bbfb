import { SYNC_INTERVAL_MS } from '../net/sync/sync-service.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';

/** Starts `n` murmur nodes on loopback TCP in this process (no HTTP API, no fsync), fully meshed. */
export async function benchCluster(n: number, label: string, syncIntervalMs = SYNC_INTERVAL_MS): Promise<{ nodes: MurmurNode[]; stop: () => Promise<void> }> {
  const dirs: string[] = [];
  const nodes: MurmurNode[] = [];
  for (let i = 0; i < n; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), `murmur-bench-${label}-${i}-`));
    dirs.push(dataDir);
    const config = resolveConfig({
      dataDir,
      networkId: 'murmur-bench',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: nodes.map((x) => x.network.multiaddrs()[0]!),
      storeSync: false,
      syncIntervalMs,
      logLevel: 'silent',
    });
    nodes.push(await MurmurNode.start({ config, logger: createLogger('silent'), api: false }));
  }
  return {
    nodes,
    stop: async () => {
      await Promise.allSettled(nodes.map((x) => x.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
