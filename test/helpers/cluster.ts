import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratch.js';
import { createHash } from 'node:crypto';
import { resolveConfig, type NodeConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { MurmurNode } from '../../src/node.js';

export const LOOPBACK = '/ip4/127.0.0.1/tcp/0';

export function tempDataDir(label: string): string {
  return scratchDir(label);
}

export function seedFor(label: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`murmur-node-${label}`).digest());
}

/** Starts a node on loopback TCP with test-friendly settings (fast re-sync, no fsync, no logs). */
export async function startNode(dataDir: string, overrides: Partial<NodeConfig> = {}): Promise<MurmurNode> {
  const config = resolveConfig({
    dataDir,
    networkId: 'murmur-test',
    listen: [LOOPBACK],
    apiPort: 0,
    storeSync: false,
    syncIntervalMs: 500,
    logLevel: 'silent',
    ...overrides,
  });
  return MurmurNode.start({ config, logger: createLogger('silent') });
}

/**
 * One node in a fresh temp dir for test `t` (startNode's settings plus `overrides`), stopped and
 * its dir removed when the test ends; `dir` is the temp dir (the node's data dir is dir/node).
 */
export async function nodeForTest(t: { after: (fn: () => Promise<void>) => void }, label: string, overrides: Partial<NodeConfig> = {}): Promise<{ node: MurmurNode; dir: string }> {
  const dir = tempDataDir(label);
  const node = await startNode(join(dir, 'node'), overrides);
  t.after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { node, dir };
}

/** N nodes; node i > 0 bootstraps to node 0 (so some pairs are only connected through others). */
export async function startCluster(n: number, label: string): Promise<{ nodes: MurmurNode[]; dirs: string[]; stop: () => Promise<void> }> {
  const dirs = Array.from({ length: n }, (_, i) => tempDataDir(`${label}-${i}`));
  const first = await startNode(dirs[0]!);
  const nodes = [first];
  for (let i = 1; i < n; i++) nodes.push(await startNode(dirs[i]!, { bootstrap: [first.network.multiaddrs()[0]!] }));
  return {
    nodes,
    dirs,
    stop: async () => {
      await Promise.allSettled(nodes.map((x) => x.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Polls until `cond` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}
