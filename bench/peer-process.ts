import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchPeer, type BenchPeerOptions } from './bench-peer.js';

export interface PeerCall {
  seq: number;
  method: string;
  args: unknown[];
}
export type PeerReply = { seq: number; value: unknown; error?: undefined } | { seq: number; error: string };

/** BenchPeer's methods as called from another process: the same signatures, all asynchronous. */
export type Peer = { [K in keyof BenchPeer as BenchPeer[K] extends (...a: never[]) => Promise<unknown> ? K : never]: BenchPeer[K] };

/** How long one call to a child peer may take before the benchmark gives up on it. */
const CALL_TIMEOUT_MS = 180_000;

/**
 * Starts a BenchPeer in this process or in a child process of its own (benchmarks' `--processes`:
 * one OS process per node, as operators run them, each node with its own event loop).
 */
export async function startPeer(opts: BenchPeerOptions, inProcess: boolean): Promise<Peer> {
  if (inProcess) return BenchPeer.start(opts);
  const child = fork(fileURLToPath(new URL('./peer-child.ts', import.meta.url)), [JSON.stringify(opts)], { serialization: 'advanced' });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let seq = 0;
  child.on('message', (m: PeerReply) => {
    const p = pending.get(m.seq);
    pending.delete(m.seq);
    if (m.error !== undefined) p?.reject(new Error(`peer ${opts.label}: ${m.error}`));
    else p?.resolve(m.value);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`peer ${opts.label} exited (${code})`));
    pending.clear();
  });
  const call = (method: string, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = method === 'ready' ? 0 : ++seq;
      const timer = setTimeout(() => reject(new Error(`peer ${opts.label}: ${method} timed out`)), CALL_TIMEOUT_MS);
      pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      if (id !== 0) child.send({ seq: id, method, args } satisfies PeerCall);
    });
  await call('ready', []);
  // `then` stays undefined: the proxy is not a thenable when an async function returns it.
  return new Proxy({} as Peer, { get: (_, method) => (method === 'then' || typeof method !== 'string' ? undefined : (...args: unknown[]) => call(method, args)) });
}
