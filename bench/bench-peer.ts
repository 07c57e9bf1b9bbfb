import { peerIdFromString } from '@libp2p/peer-id';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNC_INTERVAL_MS } from '../net/sync/sync-service.js';
import { resolveConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { MurmurNode } from '../src/node.js';

export interface BenchPeerOptions {
  label: string;
  bootstrap?: string[];
  syncIntervalMs?: number;
}

/** Milliseconds since the epoch at sub-millisecond resolution, comparable across processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Polls `cond` (here or in another process: it may be asynchronous) every `pollMs`; false after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/**
 * One murmur node on loopback TCP (no HTTP API, a fresh data dir, otherwise the node's defaults: storeSync on) with the operations
 * the benchmarks drive it by. Every argument and result is structured-cloneable, so the same
 * class runs in the benchmark's process or in a child process of its own (peer-process.ts).
 */
export class BenchPeer {
  private accepts: Map<string, number> | null = null;

  private constructor(
    readonly node: MurmurNode,
    private readonly dir: string,
  ) {
    node.log.onAccept((rec) => this.accepts?.set(rec.id, epochMs()));
  }

  static async start(opts: BenchPeerOptions): Promise<BenchPeer> {
    const dataDir = mkdtempSync(join(tmpdir(), `murmur-bench-${opts.label}-`));
    const config = resolveConfig({
      dataDir,
      networkId: 'murmur-bench',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: opts.bootstrap ?? [],
      syncIntervalMs: opts.syncIntervalMs ?? SYNC_INTERVAL_MS,
      logLevel: 'silent',
    });
    try {
      return new BenchPeer(await MurmurNode.start({ config, logger: createLogger('silent'), api: false }), dataDir);
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  async address(): Promise<{ multiaddr: string; peerId: string }> {
    return { multiaddr: this.node.network.multiaddrs()[0]!, peerId: this.node.network.libp2p.peerId.toString() };
  }

  async peers(): Promise<number> {
    return this.node.network.peers().length;
  }

  async size(): Promise<number> {
    return this.node.log.size;
  }

  async digest(): Promise<string> {
    return this.node.log.digest();
  }

  async frontier(max: number): Promise<string[]> {
    return this.node.log.frontier(max);
  }

  /** Offers updates straight to the log (setup, not gossiped); `trusted` skips the signature check. */
  async offer(updates: Uint8Array[], trusted: boolean): Promise<void> {
    for (const u of updates) this.node.log.offer(u, { signatureVerified: trusted });
    void this.node.index.size; // sorts the keys added (a running node's index does so as it goes)
    await this.node.store.flush();
  }

  /** Submits updates as the HTTP API would, `inFlight` at a time, in order. */
  async submitAll(updates: Uint8Array[], inFlight: number): Promise<void> {
    for (let i = 0; i < updates.length; i += inFlight) await Promise.all(updates.slice(i, i + inFlight).map((u) => this.node.submit(u)));
  }

  /** Epoch ms at which the log first held `target` updates (polled every 5 ms). */
  async waitSize(target: number, timeoutMs: number): Promise<number> {
    if (!(await until(() => this.node.log.size >= target, timeoutMs))) throw new Error(`log stalled at ${this.node.log.size} of ${target}`);
    return epochMs();
  }

  /** One sync session with a peer; its round trips. */
  async syncWith(peerId: string): Promise<number> {
    const r = await this.node.network.sync.syncWith(peerIdFromString(peerId));
    if (r === null) throw new Error(`no sync session with ${peerId}`);
    return r.rounds;
  }

  /** Starts recording the epoch ms at which each update is accepted. */
  async trackAccepts(): Promise<void> {
    this.accepts = new Map();
  }

  async acceptTimes(): Promise<[string, number][]> {
    return [...(this.accepts ?? [])];
  }

  /** Submits `updates[i]` at epoch ms `dueAt[i]` without waiting for it; the epoch ms each went in. */
  async submitOnSchedule(updates: { id: string; bytes: Uint8Array }[], dueAt: number[]): Promise<[string, number][]> {
    const sent: [string, number][] = [];
    for (let i = 0; i < updates.length; i++) {
      while (epochMs() < dueAt[i]!) await new Promise((r) => setTimeout(r, 1));
      sent.push([updates[i]!.id, epochMs()]);
      this.node.submit(updates[i]!.bytes).catch(() => undefined); // a refusal shows as a lost delivery
    }
    return sent;
  }

  async stop(): Promise<void> {
    try {
      await this.node.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
