import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { CreateListenerOptions, DialTransportOptions, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Uint8ArrayList } from 'uint8arraylist';
import type { Prng } from './rng.js';

/** Per-node transport byte counts (after Noise and yamux framing: what a wire would carry). */
export interface LinkCounters {
  bytesIn: number;
  bytesOut: number;
}

export interface LinkShape {
  /** One-way delay added to every chunk a node receives. */
  latencyMs: number;
  /** Extra uniform delay in [0, jitterMs) per chunk; order within a connection is kept. */
  jitterMs: number;
}

type Chunk = Uint8Array | Uint8ArrayList;

/**
 * Delivers chunks in order, each no earlier than its arrival plus latency and jitter. Chunks are
 * pipelined (a 20 ms link still carries many chunks per 20 ms), unlike @libp2p/memory's own
 * `latency`, which waits once per chunk in series. The queue holds the chunks read but not yet
 * taken by the upgrader; like the in-memory transport's pushable under it, it applies no
 * backpressure. Simulation only: both ends are our own nodes, whose frames are bounded.
 */
async function* delayLine(src: AsyncIterable<Chunk>, shape: LinkShape, rng: Prng, counters: LinkCounters): AsyncGenerator<Chunk> {
  const queue: { at: number; chunk: Chunk }[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
    wake = null;
  };
  void (async () => {
    let last = 0;
    try {
      for await (const chunk of src) {
        counters.bytesIn += chunk.byteLength;
        last = Math.max(last, performance.now() + shape.latencyMs + rng.next() * shape.jitterMs);
        queue.push({ at: last, chunk });
        notify();
      }
    } catch (err) {
      failure = err;
    }
    ended = true;
    notify();
  })();
  for (;;) {
    const head = queue[0];
    if (head === undefined) {
      if (ended) break;
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    const wait = head.at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    queue.shift();
    yield head.chunk;
  }
  if (failure !== null) throw failure;
}

function conditionConn(maConn: MultiaddrConnection, shape: LinkShape, rng: Prng, counters: LinkCounters): MultiaddrConnection {
  const out = Object.create(maConn) as MultiaddrConnection;
  // The upgrader replaces `timeline` with a proxy to learn when the connection closes; the
  // transport sets timeline.close on the original object, so both must share one property.
  Object.defineProperty(out, 'timeline', {
    get: () => maConn.timeline,
    set: (v: MultiaddrConnection['timeline']) => (maConn.timeline = v),
  });
  out.source =
    shape.latencyMs === 0 && shape.jitterMs === 0
      ? (async function* () {
          for await (const chunk of maConn.source) {
            counters.bytesIn += chunk.byteLength;
            yield chunk;
          }
        })()
      : delayLine(maConn.source, shape, rng, counters);
  out.sink = (source) =>
    maConn.sink(
      (async function* () {
        for await (const chunk of source) {
          counters.bytesOut += chunk.byteLength;
          yield chunk;
        }
      })(),
    );
  return out;
}

/**
 * Wraps a libp2p transport (the in-memory one, or TCP) so that every connection it makes or
 * accepts is delayed by `shape` on receipt and counted in `counters`. It wraps the connection
 * before the upgrader (Noise, yamux) sees it, so everything above runs unchanged.
 */
export function conditioned<C>(inner: (components: C) => Transport, shape: LinkShape, rng: Prng, counters: LinkCounters): (components: C) => Transport {
  return (components) => {
    const t = inner(components);
    const wrapUpgrader = (u: Upgrader): Upgrader => {
      const w = Object.create(u) as Upgrader;
      w.upgradeInbound = (maConn, o) => u.upgradeInbound(conditionConn(maConn, shape, rng, counters), o);
      w.upgradeOutbound = (maConn, o) => u.upgradeOutbound(conditionConn(maConn, shape, rng, counters), o);
      return w;
    };
    const w = Object.create(t) as Transport;
    w.dial = (ma: Multiaddr, options: DialTransportOptions) => t.dial(ma, { ...options, upgrader: wrapUpgrader(options.upgrader) });
    w.createListener = (options: CreateListenerOptions) => t.createListener({ ...options, upgrader: wrapUpgrader(options.upgrader) });
    return w;
  };
}

/**
 * Drops each gossip message a node receives with probability `loss`, before gossipsub's seen-cache
 * (so another peer's copy, IHAVE/IWANT or sync can still bring it): what loss on one link does to
 * a message-oriented protocol. Sync streams are reliable (TCP-like) and are not dropped.
 * Relies on GossipSub#handleReceivedMessage of the pinned @chainsafe/libp2p-gossipsub 14.1.2.
 */
export function dropGossip(pubsub: GossipSub, loss: number, rng: Prng, onDrop: () => void): void {
  if (loss <= 0) return;
  const target = pubsub as unknown as { handleReceivedMessage(from: unknown, msg: unknown): Promise<void> };
  if (typeof target.handleReceivedMessage !== 'function') throw new Error('gossipsub internals changed: handleReceivedMessage is gone (see simulations/link.ts)');
  const original = target.handleReceivedMessage.bind(pubsub);
  target.handleReceivedMessage = async (from, msg) => {
    if (rng.next() < loss) {
      onDrop();
      return;
    }
    await original(from, msg);
  };
}
