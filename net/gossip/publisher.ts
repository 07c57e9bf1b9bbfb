import { GOSSIP_BATCH_TARGET_BYTES, GOSSIP_MAX_UPDATES_PER_MESSAGE, encodeGossipFrame } from './gossip-frame.js';

/** Updates waiting to be published; past this, `enqueue` refuses (the API answers 503). */
export const PUBLISH_QUEUE_MAX_UPDATES = 20_000;

/**
 * Packs locally submitted updates into gossip messages. Under load several updates share one
 * message (at most GOSSIP_BATCH_TARGET_BYTES or GOSSIP_MAX_UPDATES_PER_MESSAGE); flushing happens
 * on the next macrotask, so a burst of submissions never blocks the event loop and a lone update
 * goes out at once.
 */
export class Publisher {
  private queue: Uint8Array[] = [];
  private scheduled = false;
  private stopped = false;
  published = 0;
  messages = 0;

  constructor(private readonly publish: (data: Uint8Array) => Promise<unknown>) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Queues an update; returns false when the queue is full. */
  enqueue(update: Uint8Array): boolean {
    if (this.stopped || this.queue.length >= PUBLISH_QUEUE_MAX_UPDATES) return false;
    this.queue.push(update);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return true;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.stopped) {
      const batch: Uint8Array[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && batch.length < GOSSIP_MAX_UPDATES_PER_MESSAGE && (batch.length === 0 || bytes + this.queue[0]!.length <= GOSSIP_BATCH_TARGET_BYTES)) {
        const u = this.queue.shift()!;
        batch.push(u);
        bytes += u.length;
      }
      try {
        await this.publish(encodeGossipFrame(batch));
        this.published += batch.length;
        this.messages++;
      } catch {
        // No subscribed peers yet or a transient stream error: sync delivers these updates later.
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }
}
