import type { Libp2p } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';

export const RECONNECT_CHECK_MS = 250;
export const RECONNECT_MIN_BACKOFF_MS = 500;
export const RECONNECT_MAX_BACKOFF_MS = 60_000;

interface Target {
  addr: Multiaddr;
  peerId: string;
  backoffMs: number;
  nextAt: number;
  dialing: boolean;
}

/** Keeps connections to the configured bootstrap peers, redialing with exponential backoff and jitter. */
export class Bootstrapper {
  private readonly targets: Target[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: Libp2p,
    addrs: readonly string[],
    private readonly maxBackoffMs = RECONNECT_MAX_BACKOFF_MS,
  ) {
    this.targets = addrs.map((a) => {
      const addr = multiaddr(a);
      const peerId = addr.getPeerId();
      if (peerId === null) throw new Error(`bootstrap address ${a} has no /p2p/<peer id>`);
      return { addr, peerId, backoffMs: RECONNECT_MIN_BACKOFF_MS, nextAt: 0, dialing: false };
    });
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), RECONNECT_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = Date.now();
    for (const t of this.targets) {
      if (t.dialing || t.nextAt > now) continue;
      if (this.node.getConnections().some((c) => c.remotePeer.toString() === t.peerId)) {
        t.backoffMs = RECONNECT_MIN_BACKOFF_MS;
        continue;
      }
      t.dialing = true;
      this.node
        .dial(t.addr, { signal: AbortSignal.timeout(10_000) })
        .then(() => {
          t.backoffMs = RECONNECT_MIN_BACKOFF_MS;
        })
        .catch(() => {
          t.nextAt = Date.now() + t.backoffMs * (0.75 + Math.random() / 2);
          t.backoffMs = Math.min(t.backoffMs * 2, this.maxBackoffMs);
        })
        .finally(() => {
          t.dialing = false;
        });
    }
  }
}
