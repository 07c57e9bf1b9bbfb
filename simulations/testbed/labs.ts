import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NetnsLab, TestbedError } from './netns.js';
import type { ShardCommand, ShardReply, ShardRequest } from './shard-host.js';

/** Where the testbed's nodes run and how their links are shaped: one process per node in its own namespace, or many nodes per shard process on loopback. */
export interface NodeLab {
  readonly kind: 'netns' | 'workers';
  readonly mechanism: { latency: string; loss: string };
  /** Node i's libp2p listen address (no /p2p), API host and port. */
  p2pAddr(i: number): string;
  apiHost(i: number): string;
  apiPort(i: number): number;
  /** Starts node i from its config file; its output goes to `logPath`. Resolves once started (or spawned: the runner polls the API). */
  start(i: number, configPath: string, logPath: string, seed: number): Promise<void>;
  /** True while node i's process (or shard) has exited under it. */
  exited(i: number): boolean;
  stop(i: number, signal: NodeJS.Signals): Promise<void>;
  partition(groups: readonly (readonly number[])[]): Promise<void>;
  heal(): Promise<void>;
  /** Main-thread busy milliseconds per shard process so far (workers only; netns: empty). */
  busyMs(): Promise<number[]>;
  destroy(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const NODE_PROCESS = fileURLToPath(new URL('./node-process.ts', import.meta.url));
const SHARD_HOST = fileURLToPath(new URL('./shard-host.ts', import.meta.url));
export const TESTBED_API_PORT = 7070;
export const TESTBED_P2P_PORT = 4001;
/** How long a shard may take to answer a request (starting a node included). */
export const SHARD_REQUEST_TIMEOUT_MS = 60_000;

/** Sends `signal` and waits for the exit (SIGKILL after 5 s). */
export async function stopProcess(p: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (p === null || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  await Promise.race([exited, sleep(5_000).then(() => p.kill('SIGKILL'))]);
  await exited;
}

/** One `murmur start` process per node, each in its own namespace (netns.ts). */
export function netnsLab(tag: string, n: number, link: { latencyMs: number; jitterMs: number; loss: number }): NodeLab {
  const lab = new NetnsLab(tag, n, link);
  const procs: (ChildProcess | null)[] = Array.from({ length: n }, () => null);
  const delay = lab.mechanism.latency === 'netem' ? ['0', '0'] : [String(link.latencyMs), String(link.jitterMs)];
  return {
    kind: 'netns',
    mechanism: lab.mechanism,
    p2pAddr: (i) => `/ip4/${lab.addrs[i]}/tcp/${TESTBED_P2P_PORT}`,
    apiHost: (i) => lab.addrs[i]!,
    apiPort: () => TESTBED_API_PORT,
    async start(i, configPath, logPath, seed) {
      const out = createWriteStream(logPath, { flags: 'a' });
      const argv = lab.exec(i, [process.execPath, '--import', 'tsx', NODE_PROCESS, configPath, ...delay, String(seed)]);
      const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.pipe(out);
      p.stderr!.pipe(out);
      procs[i] = p;
    },
    exited: (i) => procs[i] === null || procs[i]!.exitCode !== null,
    async stop(i, signal) {
      const p = procs[i] ?? null;
      procs[i] = null;
      await stopProcess(p, signal);
    },
    partition: async (groups) => lab.partition(groups),
    heal: async () => lab.heal(),
    busyMs: async () => [],
    async destroy() {
      await Promise.all(procs.map((p) => stopProcess(p, 'SIGTERM')));
      lab.destroy();
    },
  };
}

/** `count` free TCP ports on 127.0.0.1 (each bound once by the OS, then released for the node to take). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * The sharded simulator: `workers` shard processes (shard-host.ts), node i in shard i mod workers,
 * every node a real MurmurNode on loopback TCP with its own API. Links carry the in-process
 * simulator's userspace delay line, loss drops gossip messages at the receiver (as in-process),
 * and partitions close the cross-group connections and refuse new ones in each shard. No root
 * needed. Every shard runs on its own core: the runner's clock, events, seeds and ground truth
 * are the testbed's.
 */
export async function shardLab(n: number, workers: number, link: { latencyMs: number; jitterMs: number; loss: number }, peerIds: readonly string[]): Promise<NodeLab> {
  const ports = await freePorts(2 * n);
  const shards: ChildProcess[] = [];
  const waiters = new Map<number, { resolve: (r: ShardReply) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const dead = new Set<number>();
  for (let w = 0; w < workers; w++) {
    const child = fork(SHARD_HOST, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: ShardReply) => {
      const waiter = waiters.get(m.id);
      waiters.delete(m.id);
      if (m.type === 'error') waiter?.reject(new TestbedError(m.message));
      else waiter?.resolve(m);
    });
    child.once('exit', () => {
      dead.add(w);
      for (const [id, wt] of waiters) {
        wt.reject(new TestbedError(`shard ${w} exited`));
        waiters.delete(id);
      }
    });
    shards.push(child);
  }
  const ask = (w: number, req: ShardCommand): Promise<ShardReply> => {
    if (dead.has(w)) return Promise.reject(new TestbedError(`shard ${w} exited`));
    const id = nextId++;
    return new Promise<ShardReply>((resolve, reject) => {
      const timer = setTimeout(() => (waiters.delete(id), reject(new TestbedError(`shard ${w}: no answer to ${req.type} in ${SHARD_REQUEST_TIMEOUT_MS} ms`))), SHARD_REQUEST_TIMEOUT_MS);
      waiters.set(id, { resolve: (r) => (clearTimeout(timer), resolve(r)), reject: (e) => (clearTimeout(timer), reject(e)) });
      shards[w]!.send({ ...req, id } satisfies ShardRequest);
    });
  };
  const all = (req: ShardCommand): Promise<ShardReply[]> => Promise.all(shards.map((_, w) => ask(w, req)));
  await all({ type: 'init', peerIds: [...peerIds], link });
  const online = new Array<boolean>(n).fill(false);
  return {
    kind: 'workers',
    mechanism: { latency: link.latencyMs > 0 || link.jitterMs > 0 ? 'userspace-delay-line' : 'none', loss: link.loss > 0 ? 'gossip-drop' : 'none' },
    p2pAddr: (i) => `/ip4/127.0.0.1/tcp/${ports[i]}`,
    apiHost: () => '127.0.0.1',
    apiPort: (i) => ports[n + i]!,
    async start(i, configPath, _logPath, seed) {
      await ask(i % workers, { type: 'start', node: i, configPath, seed });
      online[i] = true;
    },
    exited: (i) => !online[i] || dead.has(i % workers),
    async stop(i) {
      online[i] = false;
      await ask(i % workers, { type: 'stop', node: i }).catch(() => undefined);
    },
    async partition(groups) {
      const groupOf = new Array<number>(n).fill(0);
      groups.forEach((g, k) => g.forEach((i) => (groupOf[i] = k)));
      await all({ type: 'partition', groupOf });
    },
    heal: async () => void (await all({ type: 'heal' })),
    busyMs: async () => (await all({ type: 'stats' })).map((r) => (r.type === 'stats' ? r.busyMs : 0)),
    async destroy() {
      await Promise.allSettled(shards.map((_, w) => ask(w, { type: 'exit' })));
      await Promise.all(shards.map((p) => stopProcess(p, 'SIGTERM')));
    },
  };
}
