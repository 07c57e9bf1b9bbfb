import { GOSSIP_BATCH_TARGET_BYTES, GOSSIP_MAX_UPDATES_PER_MESSAGE, encodeGossipFrame } from './gossip-frame.js';

/** Updates waiting to be published; past this, `enqueue` refuses: the update is still accepted and stored, the API answers 200 with `published: false`, and sync spreads it (docs/API.md). */
export const PUBLISH_QUEUE_MAX_UPDATES = 20_000;

/**
 * Least time between two gossip messages of one node. Every message costs each peer a frame,
 * a Noise seal, a socket write and a forward to its mesh peers, whether it carries one update or
 * 200: on this project's 2-core machine raw gossipsub moves about 500 messages/s through 5 nodes
 * (bench/propagation.ts baseline). Spacing messages 100 ms apart caps a node at 10 messages/s
 * and packs whatever arrived meanwhile into the next one; it adds at most 100 ms to an update's
 * latency, and nothing to a lone update after a quiet spell.
 */
export const GOSSIP_PUBLISH_MIN_INTERVAL_MS = 100;

/**
 * Packs locally submitted updates into gossip messages. Several updates share one message (at
 * most GOSSIP_BATCH_TARGET_BYTES or GOSSIP_MAX_UPDATES_PER_MESSAGE) when they arrive within
 * `minIntervalMs` of the last message, or faster than the event loop turns; a lone update goes
 * out at the next macrotask.
 */
export class Publisher {
  private queue: Uint8Array[] = [];
  private scheduled = false;
  private stopped = false;
  private lastAt = -Infinity;
  published = 0;
  messages = 0;

  constructor(
    private readonly publish: (data: Uint8Array) => Promise<unknown>,
    private readonly minIntervalMs = GOSSIP_PUBLISH_MIN_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Queues an update; returns false when the queue is full. */
  enqueue(update: Uint8Array): boolean {
    if (this.stopped || this.queue.length >= PUBLISH_QUEUE_MAX_UPDATES) return false;
    this.queue.push(update);
    if (!this.scheduled) {
      this.scheduled = true;
      void this.flush();
    }
    return true;
  }

  /** Waits for the next macrotask, and at least until `minIntervalMs` after the last message. */
  private async pace(): Promise<void> {
    const waitMs = this.lastAt + this.minIntervalMs - this.now();
    await new Promise<void>((resolve) => (waitMs >= 1 ? setTimeout(resolve, waitMs) : setImmediate(resolve)));
  }

  /** One loop at a time (`scheduled`): updates queued while it waits join its next message. */
  private async flush(): Promise<void> {
    await this.pace();
    while (this.queue.length > 0 && !this.stopped) {
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < GOSSIP_MAX_UPDATES_PER_MESSAGE && (batch.length === 0 || bytes + this.queue[0]!.length <= GOSSIP_BATCH_TARGET_BYTES)) {
        const u = this.queue.shift()!;
        batch.push(u);
        bytes += u.length;
      }
      this.lastAt = this.now();
      try {
        await this.publish(encodeGossipFrame(batch));
        this.published += batch.length;
        this.messages++;
      } catch {
        // No subscribed peers yet or a transient stream error: sync delivers these updates later.
      }
      if (this.queue.length > 0) await this.pace();
    }
    this.scheduled = false;
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }
}
